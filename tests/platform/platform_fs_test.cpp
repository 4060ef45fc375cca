// durable_rename and fsync_directory against this machine's file system (Linux and
// Windows alike: paths are UTF-8 std::strings on both).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "platform/platform.h"

namespace hamirror::platform {
namespace {

namespace fs = std::filesystem;

std::string utf8(const fs::path& path) {
  const std::u8string text = path.u8string();
  return std::string(text.begin(), text.end());
}

fs::path from_utf8(const std::string& text) { return fs::path(std::u8string(text.begin(), text.end())); }

class TempDir {
 public:
  TempDir() {
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = fs::temp_directory_path() / ("hamirror-platform-" + std::to_string(stamp));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(PlatformFs, durable_rename_replaces_an_existing_file) {
  TempDir dir;
  const fs::path target = dir.path() / "state";
  const fs::path temp = dir.path() / "state.tmp";
  write(target, "old contents");
  write(temp, "new contents");
  EXPECT_EQ(durable_rename(utf8(temp), utf8(target)), io::Error::ok);
  EXPECT_EQ(read(target), "new contents");
  EXPECT_FALSE(fs::exists(temp));
}

TEST(PlatformFs, durable_rename_handles_non_ascii_utf8_names) {
  TempDir dir;
  const std::string from = utf8(dir.path()) + "/\xc3\xa9tat-\xe2\x82\xac.tmp";  // "état-€.tmp"
  const std::string to = utf8(dir.path()) + "/\xc3\xa9tat-\xe2\x82\xac";
  write(from_utf8(from), "x");
  EXPECT_EQ(durable_rename(from, to), io::Error::ok);
  EXPECT_TRUE(fs::exists(from_utf8(to)));
  EXPECT_FALSE(fs::exists(from_utf8(from)));
}

TEST(PlatformFs, durable_rename_of_a_missing_file_is_not_found) {
  TempDir dir;
  EXPECT_EQ(durable_rename(utf8(dir.path() / "absent"), utf8(dir.path() / "target")), io::Error::not_found);
}

TEST(PlatformFs, fsync_directory_succeeds_on_a_directory) {
  TempDir dir;
  write(dir.path() / "entry", "x");
  EXPECT_EQ(fsync_directory(utf8(dir.path())), io::Error::ok);
}

TEST(PlatformFs, fsync_directory_of_a_missing_directory_is_not_found) {
  TempDir dir;
  EXPECT_EQ(fsync_directory(utf8(dir.path() / "absent")), io::Error::not_found);
}

TEST(PlatformFs, fsync_directory_of_a_regular_file_is_not_directory) {
  TempDir dir;
  write(dir.path() / "file", "x");
  EXPECT_EQ(fsync_directory(utf8(dir.path() / "file")), io::Error::not_directory);
}

}  // namespace
}  // namespace hamirror::platform
