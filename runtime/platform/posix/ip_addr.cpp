#include "platform/posix/ip_addr.h"

#include <arpa/inet.h>

#include <sstream>

#include "io/assert.h"
#include "platform/posix/run_command.h"

namespace hamirror::platform::posix {
namespace {

constexpr std::int64_t kIpListTimeoutMs = 10'000;

// One line: "4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\ ...".
// A point-to-point address reads "inet 10.0.0.1 peer 10.0.0.2/32": the local address
// has no prefix then, and is a /32.
std::optional<InterfaceAddress> parse_line(const std::string& line) {
  std::istringstream words(line);
  std::string index, interface, family, address;
  if (!(words >> index >> interface >> family >> address)) return std::nullopt;
  if (index.empty() || index.back() != ':' || family != "inet") return std::nullopt;
  interface = interface.substr(0, interface.find('@'));  // "veth0@if5" in some versions
  InterfaceAddress entry{interface, 0, 32};
  const std::size_t slash = address.find('/');
  if (slash != std::string::npos) {
    const std::string prefix = address.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 2 || prefix.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    entry.prefix_length = std::stoi(prefix);
    if (entry.prefix_length > 32) return std::nullopt;
    address.resize(slash);
  }
  const auto parsed = parse_ipv4(address);
  if (!parsed) return std::nullopt;
  entry.address = *parsed;
  return entry;
}

}  // namespace

std::optional<std::uint32_t> parse_ipv4(const std::string& text) {
  in_addr parsed{};
  if (::inet_pton(AF_INET, text.c_str(), &parsed) != 1) return std::nullopt;
  return ntohl(parsed.s_addr);
}

std::string format_ipv4(std::uint32_t address) {
  in_addr value{};
  value.s_addr = htonl(address);
  char text[INET_ADDRSTRLEN] = {};
  const char* done = ::inet_ntop(AF_INET, &value, text, sizeof text);
  HM_ASSERT(done != nullptr);
  return text;
}

bool same_subnet(std::uint32_t a, std::uint32_t b, int prefix_length) {
  HM_ASSERT(prefix_length >= 0 && prefix_length <= 32);
  const std::uint32_t mask = prefix_length == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_length);
  return (a & mask) == (b & mask);
}

std::vector<InterfaceAddress> parse_ip_addr_output(std::string_view text) {
  std::vector<InterfaceAddress> entries;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    if (auto entry = parse_line(std::string(text.substr(begin, end - begin)))) entries.push_back(*entry);
    begin = end + 1;
  }
  return entries;
}

io::Result<std::vector<InterfaceAddress>> list_ipv4_addresses(const std::string& ip_program, std::string* detail) {
  auto run = run_command({ip_program, "-o", "-4", "addr", "show"}, kIpListTimeoutMs);
  if (!run) {
    if (detail != nullptr) *detail = "cannot run " + ip_program + ": " + std::string(io::error_name(run.error()));
    return run.error();
  }
  if (run->timed_out || run->exit_code != 0 || run->term_signal != 0) {
    if (detail != nullptr) *detail = "ip -o -4 addr show: " + describe(*run);
    return run->timed_out ? io::Error::timed_out : io::Error::unknown;
  }
  return parse_ip_addr_output(run->output);
}

}  // namespace hamirror::platform::posix
