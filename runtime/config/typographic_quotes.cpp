#include "config/typographic_quotes.h"

#include <array>

namespace hamirror::config {
namespace {

struct QuoteGlyph {
  std::string_view bytes;
  const char* code_point;
  char straight;
};

constexpr std::array<QuoteGlyph, 4> kQuotes = {{
    {"\xE2\x80\x9C", "U+201C", '"'},  // “
    {"\xE2\x80\x9D", "U+201D", '"'},  // ”
    {"\xE2\x80\x98", "U+2018", '\''},  // ‘
    {"\xE2\x80\x99", "U+2019", '\''},  // ’
}};

const QuoteGlyph* quote_at(std::string_view text, std::size_t offset) {
  for (const auto& glyph : kQuotes) {
    if (text.substr(offset, glyph.bytes.size()) == glyph.bytes) return &glyph;
  }
  return nullptr;
}

// Offset just past `terminator` at or after `from`, or the end of the text.
std::size_t skip_past(std::string_view text, std::size_t from, std::string_view terminator) {
  const auto at = text.find(terminator, from);
  return at == std::string_view::npos ? text.size() : at + terminator.size();
}

}  // namespace

std::vector<TagWithTypographicQuotes> find_typographic_quotes_in_tags(std::string_view text) {
  std::vector<TagWithTypographicQuotes> found;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '<') {
      ++i;
      continue;
    }
    if (text.substr(i, 4) == "<!--") {
      i = skip_past(text, i + 4, "-->");
      continue;
    }
    if (text.substr(i, 9) == "<![CDATA[") {
      i = skip_past(text, i + 9, "]]>");
      continue;
    }
    // A tag: up to the first '>' outside straight quotes. A typographic quote does not
    // open a string, which is exactly the user's mistake.
    const std::size_t begin = i;
    char open_quote = 0;
    TagWithTypographicQuotes tag;
    bool has_quote = false;
    for (++i; i < text.size(); ++i) {
      const char c = text[i];
      if (open_quote != 0) {
        if (c == open_quote) open_quote = 0;
      } else if (c == '"' || c == '\'') {
        open_quote = c;
      } else if (c == '>') {
        ++i;
        break;
      } else if (const auto* glyph = quote_at(text, i); glyph != nullptr && !has_quote) {
        has_quote = true;
        tag.first_quote = i;
        tag.quote = glyph->bytes;
        tag.code_point = glyph->code_point;
      }
    }
    if (has_quote) {
      tag.tag_begin = begin;
      tag.tag_end = i;
      found.push_back(tag);
    }
  }
  return found;
}

std::string with_straight_quotes(std::string_view tag) {
  std::string out;
  for (std::size_t i = 0; i < tag.size();) {
    if (const auto* glyph = quote_at(tag, i)) {
      out += glyph->straight;
      i += glyph->bytes.size();
    } else if (tag[i] == '\r' || tag[i] == '\n' || tag[i] == '\t') {
      if (out.empty() || out.back() != ' ') out += ' ';
      ++i;
    } else {
      out += tag[i++];
    }
  }
  return out;
}

}  // namespace hamirror::config
