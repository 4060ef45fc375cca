// The frontend's path helpers (no mount needed).
#include <gtest/gtest.h>

#include "fuse_hl/path_names.h"

namespace hamirror::fuse_hl {
namespace {

TEST(PathNames, fuse_paths_become_relative_paths) {
  EXPECT_EQ(strip_root("/"), "");
  EXPECT_EQ(strip_root("/a/b"), "a/b");
  EXPECT_EQ(last_component("a/b"), "b");
  EXPECT_EQ(last_component("/b"), "b");
  EXPECT_EQ(last_component("b"), "b");
  EXPECT_EQ(with_last_component("a/b", "C"), "a/C");
  EXPECT_EQ(with_last_component("b", "C"), "C");
}

TEST(PathNames, ascii_letters_compare_without_regard_to_case_and_other_bytes_exactly) {
  EXPECT_TRUE(same_ignoring_case("Report.TXT", "report.txt"));
  EXPECT_FALSE(same_ignoring_case("report.txt", "report.txt2"));
  EXPECT_FALSE(same_ignoring_case("a-b", "a_b"));
  EXPECT_FALSE(same_ignoring_case("\xc3\xa9", "\xc3\x89"));  // é / É: left to NTFS on Windows
}

}  // namespace
}  // namespace hamirror::fuse_hl
