#include "fsim/path.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hamirror::fsim {
namespace {

using Names = std::vector<std::string>;

TEST(ParsePath, gives_the_names_in_order_and_the_last_one) {
  const std::string text = "/data/dir/file";
  auto parsed = parse_path(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->size(), 3u);
  EXPECT_EQ(parsed->names(), (Names{"data", "dir", "file"}));
  EXPECT_EQ(parsed->back(), "file");
  EXPECT_FALSE(parsed->trailing_separator());
}

TEST(ParsePath, names_are_views_into_the_text_not_copies) {
  const std::string text = "/a/bc";
  auto parsed = parse_path(text);
  ASSERT_TRUE(parsed.ok());
  auto name = parsed->begin();
  EXPECT_EQ((*name).data(), text.data() + 1);
  ++name;
  EXPECT_EQ((*name).data(), text.data() + 3);
  EXPECT_EQ(parsed->back().data(), text.data() + 3);
  ++name;
  EXPECT_TRUE(name == parsed->end());
}

TEST(ParsePath, collapses_repeated_separators_and_notes_a_trailing_one) {
  auto parsed = parse_path("//a///b//");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->names(), (Names{"a", "b"}));
  EXPECT_EQ(parsed->back(), "b");
  EXPECT_TRUE(parsed->trailing_separator());
}

TEST(ParsePath, the_root_has_no_names) {
  for (const char* root : {"/", "///"}) {
    auto parsed = parse_path(root);
    ASSERT_TRUE(parsed.ok()) << root;
    EXPECT_TRUE(parsed->empty());
    EXPECT_EQ(parsed->size(), 0u);
    EXPECT_TRUE(parsed->begin() == parsed->end());
  }
}

TEST(ParsePath, a_lone_separator_is_the_root_not_a_trailing_one) {
  EXPECT_FALSE(parse_path("/")->trailing_separator());
}

TEST(ParsePath, refuses_relative_dot_backslash_nul_and_overlong_paths) {
  for (const std::string& bad : {std::string(""), std::string("a/b"), std::string("/a/./b"), std::string("/a/../b"),
                                std::string("/a\\b"), std::string("/a\0b", 4), "/" + std::string(kMaxNameBytes + 1, 'n'),
                                "/" + std::string(kMaxPathBytes, 'p')}) {
    auto parsed = parse_path(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error(), io::Error::invalid_argument) << bad;
  }
  EXPECT_TRUE(parse_path("/" + std::string(kMaxNameBytes, 'n')).ok());
  EXPECT_TRUE(parse_path("/a/.hidden/..x").ok());  // only "." and ".." themselves are refused
}

}  // namespace
}  // namespace hamirror::fsim
