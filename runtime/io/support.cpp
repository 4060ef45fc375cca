// Small shared helpers of the seam: address and path formatting, the assertion sink.
#include <cstdio>
#include <cstdlib>

#include "io/assert.h"
#include "io/filesystem.h"
#include "io/network.h"

namespace hamirror {

void assertion_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "assertion failed: %s at %s:%d\n", condition, file, line);
  std::fflush(stderr);
  std::abort();
}

namespace io {

std::string to_string(const Address& address) {
  const bool ipv6 = address.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

namespace {
bool is_separator(char c) { return c == '/' || c == '\\'; }
char separator_of(const std::string& path) {
  return path.find('\\') != std::string::npos && path.find('/') == std::string::npos ? '\\' : '/';
}
}  // namespace

std::string join_path(const std::string& directory, const std::string& name) {
  if (directory.empty()) return name;
  if (is_separator(directory.back())) return directory + name;
  return directory + separator_of(directory) + name;
}

std::string parent_path(const std::string& path) {
  std::size_t end = path.size();
  while (end > 1 && is_separator(path[end - 1])) --end;  // ignore trailing separators
  std::size_t cut = end;
  while (cut > 0 && !is_separator(path[cut - 1])) --cut;
  if (cut == 0) return path;  // no separator: not an absolute path; return as is
  std::size_t keep = cut - 1;
  while (keep > 0 && is_separator(path[keep - 1])) --keep;
  // Keep the root: "/" or "C:\".
  if (keep == 0) return path.substr(0, 1);
  if (keep == 2 && path[1] == ':') return path.substr(0, 3);
  return path.substr(0, keep);
}

}  // namespace io
}  // namespace hamirror
