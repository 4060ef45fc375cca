#include "fsim/path.h"

#include <algorithm>

namespace hamirror::fsim {

io::Result<ParsedPath> parse_path(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.size() > kMaxPathBytes) return io::Error::invalid_argument;
  ParsedPath parsed;
  // At most one name per separator: one allocation instead of the vector's growth.
  parsed.names.reserve(static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')));
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view name = path.substr(start, end - start);
    if (!name.empty()) {
      if (name == "." || name == ".." || name.size() > kMaxNameBytes) return io::Error::invalid_argument;
      if (name.find('\\') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
        return io::Error::invalid_argument;
      }
      parsed.names.emplace_back(name);
    }
    start = end + 1;
  }
  parsed.trailing_separator = path.size() > 1 && path.back() == '/';
  return parsed;
}

std::string format_path(const std::vector<std::string>& names) {
  if (names.empty()) return "/";
  std::string out;
  for (const auto& name : names) out += "/" + name;
  return out;
}

}  // namespace hamirror::fsim
