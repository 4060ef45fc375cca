// Finds typographic quotes (“ ” ‘ ’) inside XML tags: text pasted from a web page or a
// word processor often has them where XML needs straight quotes (name=”default”).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hamirror::config {

struct TagWithTypographicQuotes {
  std::size_t tag_begin = 0;    // offset of the tag's '<'
  std::size_t tag_end = 0;      // offset just past its '>' (or the end of the text)
  std::size_t first_quote = 0;  // offset of the first typographic quote in the tag
  std::string_view quote;       // that quote's UTF-8 bytes
  std::string code_point;       // "U+201D"
};

// Every tag (outside comments, CDATA and text) holding at least one typographic quote,
// in file order.
std::vector<TagWithTypographicQuotes> find_typographic_quotes_in_tags(std::string_view text);

// The tag's text with every typographic quote replaced by its straight form, on one
// line: what the user should have written.
std::string with_straight_quotes(std::string_view tag);

}  // namespace hamirror::config
