#include <gtest/gtest.h>

#include "io/filesystem.h"

namespace hamirror::io {
namespace {

TEST(Paths, join_uses_the_separator_the_directory_already_uses) {
  EXPECT_EQ(join_path("/var/lib", "state"), "/var/lib/state");
  EXPECT_EQ(join_path("/", "state"), "/state");
  EXPECT_EQ(join_path("C:\\data", "state"), "C:\\data\\state");
  EXPECT_EQ(join_path("C:\\", "state"), "C:\\state");
}

TEST(Paths, parent_keeps_the_root) {
  EXPECT_EQ(parent_path("/var/lib/state"), "/var/lib");
  EXPECT_EQ(parent_path("/state"), "/");
  EXPECT_EQ(parent_path("/var/lib/"), "/var");
  EXPECT_EQ(parent_path("C:\\data\\state"), "C:\\data");
  EXPECT_EQ(parent_path("C:\\state"), "C:\\");
}

}  // namespace
}  // namespace hamirror::io
