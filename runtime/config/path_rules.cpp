#include "config/path_rules.h"

#include <vector>

namespace hamirror::config {
namespace {

bool is_separator(char c, PathStyle style) { return c == '/' || (style == PathStyle::windows && c == '\\'); }

bool is_drive_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

bool has_drive(std::string_view path) { return path.size() >= 2 && is_drive_letter(path[0]) && path[1] == ':'; }

// The components of `path` after its root (the leading '/' or "C:\").
std::vector<std::string_view> components(std::string_view path, PathStyle style) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || is_separator(path[i], style)) {
      if (i > start) parts.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

std::optional<std::string> component_problem(std::string_view path, PathStyle style) {
  for (const auto part : components(path, style)) {
    if (part == "..") return "must not contain \"..\"";
  }
  if (path.find('\0') != std::string_view::npos) return "must not contain a NUL character";
  if (style == PathStyle::windows) {
    const auto rest = has_drive(path) ? path.substr(2) : path;
    for (const char c : rest) {
      if (c == ':' || c == '*' || c == '?' || c == '"' || c == '<' || c == '>' || c == '|') {
        return std::string("contains '") + c + "', which Windows does not allow in a path";
      }
    }
  }
  return std::nullopt;
}

}  // namespace

PathStyle native_path_style() {
#ifdef _WIN32
  return PathStyle::windows;
#else
  return PathStyle::posix;
#endif
}

const char* path_style_name(PathStyle style) { return style == PathStyle::windows ? "Windows" : "Linux"; }

std::optional<std::string> replicated_dir_problem(std::string_view path, PathStyle style) {
  if (path.empty()) return "is empty: give the absolute path of a directory";
  if (style == PathStyle::posix) {
    if (path[0] != '/') {
      if (has_drive(path)) {
        return "is a Windows path, not an absolute path on Linux: write a path that starts with '/'";
      }
      return "is not an absolute path: write a path that starts with '/'";
    }
  } else {
    if (path.size() >= 2 && is_separator(path[0], style) && is_separator(path[1], style)) {
      return "is a UNC path (a network share): give a local directory such as C:\\data";
    }
    if (!has_drive(path)) {
      if (path[0] == '/') return "is a Linux path, not an absolute path on Windows: write a drive and a path, such as C:\\data";
      return "is not an absolute path: write a drive and a path, such as C:\\data";
    }
    if (path.size() < 3 || !is_separator(path[2], style)) {
      return "is relative to the drive's current directory: write C:\\dir, not C:dir";
    }
  }
  if (auto problem = component_problem(path, style)) return problem;
  if (components(has_drive(path) ? path.substr(2) : path, style).empty()) {
    return "is the root of a file system: replicate a directory below it";
  }
  return std::nullopt;
}

std::optional<std::string> relative_path_problem(std::string_view path, PathStyle style) {
  if (path.empty()) return "is empty";
  if (is_separator(path[0], style) || (style == PathStyle::windows && has_drive(path))) {
    return "must be relative to its replicated directory";
  }
  return component_problem(path, style);
}

std::string comparable_path(std::string_view path, PathStyle style) {
  std::string out;
  if (style == PathStyle::windows && has_drive(path)) {
    out += static_cast<char>(path[0] | 0x20);  // lower-case ASCII letter
    out += ':';
    path.remove_prefix(2);
  }
  for (const auto part : components(path, style)) {
    if (part == ".") continue;
    out += '/';
    for (char c : part) {
      if (style == PathStyle::windows && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      out += c;
    }
  }
  return out;
}

bool path_contains(std::string_view outer, std::string_view inner) {
  if (inner.size() < outer.size() || inner.substr(0, outer.size()) != outer) return false;
  return inner.size() == outer.size() || inner[outer.size()] == '/';
}

}  // namespace hamirror::config
