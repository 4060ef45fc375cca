#include "fsim/path.h"

namespace hamirror::fsim {
namespace {

// The next name at or after `from` (separators skipped); empty with a null data()
// when none is left.
std::string_view name_at(std::string_view text, std::size_t from) {
  while (from < text.size() && text[from] == '/') ++from;
  if (from >= text.size()) return {};
  std::size_t end = text.find('/', from);
  if (end == std::string_view::npos) end = text.size();
  return text.substr(from, end - from);
}

}  // namespace

ParsedPath::Iterator::Iterator(std::string_view text, std::size_t from) : text_(text), name_(name_at(text, from)) {}

ParsedPath::Iterator& ParsedPath::Iterator::operator++() {
  name_ = name_at(text_, static_cast<std::size_t>(name_.data() - text_.data()) + name_.size());
  return *this;
}

std::vector<std::string> ParsedPath::names() const {
  std::vector<std::string> out;
  out.reserve(size_);
  for (const std::string_view name : *this) out.emplace_back(name);
  return out;
}

io::Result<ParsedPath> parse_path(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.size() > kMaxPathBytes) return io::Error::invalid_argument;
  ParsedPath parsed;
  parsed.text_ = path;
  for (const std::string_view name : parsed) {
    if (name == "." || name == ".." || name.size() > kMaxNameBytes) return io::Error::invalid_argument;
    if (name.find('\\') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
      return io::Error::invalid_argument;
    }
    ++parsed.size_;
    parsed.last_ = name;
  }
  parsed.trailing_separator_ = path.size() > 1 && path.back() == '/';
  return parsed;
}

}  // namespace hamirror::fsim
