#include "config/source_text.h"

#include <algorithm>

namespace hamirror::config {

bool starts_with_utf8_bom(std::string_view text) { return text.substr(0, 3) == "\xEF\xBB\xBF"; }

SourceText::SourceText(std::string_view text) : text_(text), bom_size_(starts_with_utf8_bom(text) ? 3 : 0) {
  line_starts_.push_back(bom_size_);
  for (std::size_t i = bom_size_; i < text_.size(); ++i) {
    if (text_[i] == '\n') {
      line_starts_.push_back(i + 1);
    } else if (text_[i] == '\r' && (i + 1 == text_.size() || text_[i + 1] != '\n')) {
      line_starts_.push_back(i + 1);
    }
  }
}

TextPosition SourceText::position_of(std::size_t byte_offset) const {
  byte_offset = std::min(std::max(byte_offset, bom_size_), text_.size());
  // The last line start at or before the offset.
  const auto after = std::upper_bound(line_starts_.begin(), line_starts_.end(), byte_offset);
  const auto line_index = static_cast<std::size_t>(after - line_starts_.begin()) - 1;
  int column = 1;
  for (std::size_t i = line_starts_[line_index]; i < byte_offset; ++i) {
    const auto byte = static_cast<unsigned char>(text_[i]);
    if ((byte & 0xC0) != 0x80) ++column;  // continuation bytes belong to the previous character
  }
  return {static_cast<int>(line_index) + 1, column};
}

}  // namespace hamirror::config
