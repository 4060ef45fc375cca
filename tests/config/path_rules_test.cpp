#include <gtest/gtest.h>

#include "config/path_rules.h"

namespace hamirror::config {
namespace {

TEST(PathRules, posix_absolute_paths_start_with_a_slash) {
  EXPECT_FALSE(replicated_dir_problem("/srv/data", PathStyle::posix).has_value());
  EXPECT_EQ(replicated_dir_problem("c:\\test1replicated", PathStyle::posix),
            "is a Windows path, not an absolute path on Linux: write a path that starts with '/'");
  EXPECT_EQ(replicated_dir_problem("srv/data", PathStyle::posix),
            "is not an absolute path: write a path that starts with '/'");
  EXPECT_EQ(replicated_dir_problem("", PathStyle::posix), "is empty: give the absolute path of a directory");
  EXPECT_EQ(replicated_dir_problem("//", PathStyle::posix), "is the root of a file system: replicate a directory below it");
  EXPECT_EQ(replicated_dir_problem("/a/../b", PathStyle::posix), "must not contain \"..\"");
}

TEST(PathRules, windows_absolute_paths_have_a_drive_and_a_separator) {
  EXPECT_FALSE(replicated_dir_problem("c:\\test1replicated", PathStyle::windows).has_value());
  EXPECT_FALSE(replicated_dir_problem("D:/data", PathStyle::windows).has_value());
  EXPECT_EQ(replicated_dir_problem("\\\\server\\share", PathStyle::windows),
            "is a UNC path (a network share): give a local directory such as C:\\data");
  EXPECT_EQ(replicated_dir_problem("//server/share", PathStyle::windows),
            "is a UNC path (a network share): give a local directory such as C:\\data");
  EXPECT_EQ(replicated_dir_problem("/srv/data", PathStyle::windows),
            "is a Linux path, not an absolute path on Windows: write a drive and a path, such as C:\\data");
  EXPECT_EQ(replicated_dir_problem("\\data", PathStyle::windows),
            "is not an absolute path: write a drive and a path, such as C:\\data");
  EXPECT_EQ(replicated_dir_problem("C:data", PathStyle::windows),
            "is relative to the drive's current directory: write C:\\dir, not C:dir");
  EXPECT_EQ(replicated_dir_problem("C:\\", PathStyle::windows),
            "is the root of a file system: replicate a directory below it");
  EXPECT_EQ(replicated_dir_problem("C:\\a|b", PathStyle::windows),
            "contains '|', which Windows does not allow in a path");
}

TEST(PathRules, relative_paths_for_notreplicated) {
  EXPECT_FALSE(relative_path_problem("logs/tmp", PathStyle::posix).has_value());
  EXPECT_EQ(relative_path_problem("/logs", PathStyle::posix), "must be relative to its replicated directory");
  EXPECT_EQ(relative_path_problem("C:\\logs", PathStyle::windows), "must be relative to its replicated directory");
  EXPECT_EQ(relative_path_problem("../x", PathStyle::posix), "must not contain \"..\"");
}

TEST(PathRules, comparable_paths_and_containment) {
  EXPECT_EQ(comparable_path("/srv//data/./app/", PathStyle::posix), "/srv/data/app");
  EXPECT_EQ(comparable_path("C:\\Data\\App", PathStyle::windows), "c:/data/app");
  EXPECT_EQ(comparable_path("c:/data/app", PathStyle::windows), "c:/data/app");
  EXPECT_EQ(comparable_path("/Srv", PathStyle::posix), "/Srv");  // Linux names are case-sensitive
  EXPECT_TRUE(path_contains("/srv/data", "/srv/data"));
  EXPECT_TRUE(path_contains("/srv/data", "/srv/data/app"));
  EXPECT_FALSE(path_contains("/srv/data", "/srv/database"));
  EXPECT_FALSE(path_contains("/srv/data/app", "/srv/data"));
}

}  // namespace
}  // namespace hamirror::config
