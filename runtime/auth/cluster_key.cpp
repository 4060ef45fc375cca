#include "auth/cluster_key.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "auth/key_file.h"
#include "auth/os_random.h"

namespace hamirror::auth {
namespace {

constexpr std::size_t kHexDigits = 2 * kClusterKeyBytes;
// A key file is one line; anything much longer is not a key file.
constexpr std::size_t kMaxKeyFileBytes = 4096;

std::string what_to_do(const std::string& path) {
  return "; make a key with `hamirror genkey --out " + path + "` on one node and copy the file to the same path on the other";
}

int hex_value(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string trim(const std::string& text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

KeyLoadResult failed(std::string error) { return {.key = std::nullopt, .error = std::move(error)}; }

}  // namespace

KeyLoadResult load_key(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    const int error = errno;
    return failed("cannot read cluster key file '" + path + "': " + std::strerror(error) + what_to_do(path));
  }
  std::string content;
  content.resize(kMaxKeyFileBytes + 1);
  file.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(file.gcount()));
  if (content.size() > kMaxKeyFileBytes) {
    return failed("cluster key file '" + path + "' is too large to be a key (a key is one line of 64 hex digits)" + what_to_do(path));
  }
  const std::string digits = trim(content);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (hex_value(digits[i]) < 0) {
      return failed("cluster key file '" + path + "': character " + std::to_string(i + 1) +
                    " is not a hex digit (a key is one line of 64 hex digits 0-9a-f)" + what_to_do(path));
    }
  }
  if (digits.size() != kHexDigits) {
    return failed("cluster key file '" + path + "' holds " + std::to_string(digits.size()) +
                  " hex digits instead of 64 (32 bytes): was it cut while copying?" + what_to_do(path));
  }
  ClusterKey key;
  for (std::size_t i = 0; i < kClusterKeyBytes; ++i) {
    key.bytes[i] = static_cast<std::uint8_t>(hex_value(digits[2 * i]) * 16 + hex_value(digits[2 * i + 1]));
  }
  return {.key = key, .error = "", .warning = permission_warning(path)};
}

std::optional<ClusterKey> generate_key() {
  ClusterKey key;
  if (!os_random_bytes(key.bytes)) return std::nullopt;
  return key;
}

std::string write_key_file(const std::string& path, const ClusterKey& key, bool overwrite) {
  return write_private_file(path, to_hex(key) + "\n", overwrite);
}

std::string to_hex(const ClusterKey& key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(kHexDigits);
  for (const auto byte : key.bytes) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 0x0f];
  }
  return text;
}

}  // namespace hamirror::auth
