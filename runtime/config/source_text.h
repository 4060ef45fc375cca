// Turns byte offsets into a file's text into 1-based line and column numbers.
//
// pugixml reports byte offsets; users want "line:column". A UTF-8 byte order mark at
// the start is not part of line 1's columns; "\r\n", "\n" and a lone "\r" each end a
// line (XML's rule); columns count UTF-8 code points, so a typographic quote (3 bytes)
// is one column, as an editor shows it.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace hamirror::config {

struct TextPosition {
  int line = 0;
  int column = 0;
};

class SourceText {
 public:
  // Keeps a view: `text` must outlive this object.
  explicit SourceText(std::string_view text);

  // Offsets past the end are clamped to the end.
  TextPosition position_of(std::size_t byte_offset) const;

  std::string_view text() const { return text_; }
  bool has_bom() const { return bom_size_ > 0; }

 private:
  std::string_view text_;
  std::size_t bom_size_ = 0;
  std::vector<std::size_t> line_starts_;  // byte offset of each line's first byte
};

// True when `text` starts with the UTF-8 byte order mark EF BB BF.
bool starts_with_utf8_bom(std::string_view text);

}  // namespace hamirror::config
