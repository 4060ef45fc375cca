#include "config/toml_preflight.h"

#include <string>

namespace hamirror::config {
namespace {

bool is_key_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '"' || c == '\'';
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// The offset just past the string starting at `at` (a quote), or the end of the text.
// Single-line strings also end at a newline (where toml++ reports them).
std::size_t skip_string(std::string_view text, std::size_t at) {
  const char quote = text[at];
  const bool multi_line = text.substr(at, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''");
  const bool escapes = quote == '"';
  std::size_t i = at + (multi_line ? 3 : 1);
  while (i < text.size()) {
    const char c = text[i];
    if (escapes && c == '\\') {
      i += 2;
      continue;
    }
    if (!multi_line && c == '\n') return i;
    if (c == quote && (!multi_line || text.substr(i, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''"))) {
      return i + (multi_line ? 3 : 1);
    }
    ++i;
  }
  return text.size();
}

// The offset just past a table header starting at `at` ('['): its last ']' or the line's end.
std::size_t skip_header(std::string_view text, std::size_t at) {
  std::size_t i = at;
  while (i < text.size() && text[i] == '[') ++i;
  while (i < text.size() && text[i] != '\n') {
    if (text[i] == '"' || text[i] == '\'') {
      i = skip_string(text, i);
      continue;
    }
    if (text[i] == ']') {
      while (i < text.size() && text[i] == ']') ++i;
      return i;
    }
    ++i;
  }
  return i;
}

bool header_is_safe(std::string_view text, std::size_t at) {
  std::size_t i = at + 1;
  while (i < text.size() && is_blank(text[i])) ++i;
  if (i < text.size() && text[i] == '[') ++i;  // "[[" (toml++ refuses "[ [" by itself)
  while (i < text.size() && is_blank(text[i])) ++i;
  if (i >= text.size()) return true;  // toml++ reports the end of file itself
  return is_key_start(text[i]) || text[i] == ']';
}

}  // namespace

std::optional<UnsafeToml> find_unsafe_toml(std::string_view text) {
  std::string open;             // the '[' and '{' of the current value still open
  bool statement_start = true;  // nothing but blanks since a line began, outside any value
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      statement_start = open.empty();
      ++i;
      continue;
    }
    if (is_blank(c) || c == '\r') {
      ++i;
      continue;
    }
    if (statement_start && c == '[') {
      if (!header_is_safe(text, i)) return UnsafeToml{i, "a table header needs a name after '[': write [name]"};
      i = skip_header(text, i);
      statement_start = false;
      continue;
    }
    statement_start = false;
    if (c == '"' || c == '\'') {
      i = skip_string(text, i);
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else {
      if (c == '}' && !open.empty() && open.back() == '[') {
        return UnsafeToml{i, "'}' inside an array: close the array with ']'"};
      }
      if (c == '[' || c == '{') open.push_back(c);
      if ((c == ']' || c == '}') && !open.empty()) open.pop_back();
      ++i;
    }
  }
  return std::nullopt;
}

}  // namespace hamirror::config
