#include "fuse_hl/path_names.h"

#include <algorithm>

#include "fuse_hl/path_frontend.h"

namespace hamirror::fuse_hl {
namespace {

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string strip_root(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return std::string(path);
}

std::string last_component(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string with_last_component(std::string_view path, std::string_view name) {
  const auto slash = path.rfind('/');
  return (slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1))) + std::string(name);
}

bool same_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

std::string PathFrontend::relative(const char* path) const {
  std::string given = strip_root(path);
  if (!options_.case_insensitive || given.empty()) return given;
  // Component by component: each existing name in its stored case; a name that does not
  // exist (yet) as given.
  std::string resolved;
  std::size_t start = 0;
  while (start <= given.size()) {
    const std::size_t end = std::min(given.find('/', start), given.size());
    const std::string name = given.substr(start, end - start);
    const std::string chosen = backing_.stored_name(resolved, name);
    resolved = resolved.empty() ? chosen : resolved + "/" + chosen;
    start = end + 1;
  }
  return resolved;
}

}  // namespace hamirror::fuse_hl
