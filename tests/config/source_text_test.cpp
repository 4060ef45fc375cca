#include <gtest/gtest.h>

#include "config/source_text.h"

namespace hamirror::config {
namespace {

void expect_position(const SourceText& text, std::size_t offset, int line, int column) {
  const auto position = text.position_of(offset);
  EXPECT_EQ(position.line, line) << "offset " << offset;
  EXPECT_EQ(position.column, column) << "offset " << offset;
}

TEST(SourceText, counts_lines_and_columns_from_one) {
  const SourceText text("ab\ncd\n\nef");
  expect_position(text, 0, 1, 1);
  expect_position(text, 1, 1, 2);
  expect_position(text, 2, 1, 3);  // the newline itself ends line 1
  expect_position(text, 3, 2, 1);
  expect_position(text, 6, 3, 1);
  expect_position(text, 8, 4, 2);
}

TEST(SourceText, crlf_and_lone_cr_each_end_one_line) {
  const SourceText crlf("ab\r\ncd\ref");
  expect_position(crlf, 4, 2, 1);
  expect_position(crlf, 5, 2, 2);
  expect_position(crlf, 7, 3, 1);
}

TEST(SourceText, a_byte_order_mark_is_not_a_column) {
  const SourceText text("\xEF\xBB\xBF<a>\n<b>");
  EXPECT_TRUE(text.has_bom());
  expect_position(text, 0, 1, 1);
  expect_position(text, 3, 1, 1);
  expect_position(text, 4, 1, 2);
  expect_position(text, 7, 2, 1);
}

TEST(SourceText, a_multibyte_character_is_one_column) {
  const SourceText text("a=\xE2\x80\x9Dx\xE2\x80\x9D");  // a=”x”
  expect_position(text, 2, 1, 3);
  expect_position(text, 5, 1, 4);
  expect_position(text, 6, 1, 5);
}

TEST(SourceText, offsets_past_the_end_are_clamped) {
  const SourceText text("ab\n");
  expect_position(text, 100, 2, 1);
  const SourceText empty("");
  expect_position(empty, 0, 1, 1);
}

}  // namespace
}  // namespace hamirror::config
