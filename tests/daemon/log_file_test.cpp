// The module / application log files: timestamps and rotation by size.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "daemon/log_file.h"

namespace hamirror::test {
namespace {

namespace fs = std::filesystem;

struct ScratchDir {
  ScratchDir() {
    std::random_device random;
    path = fs::temp_directory_path() / ("hamirror-logs-" + std::to_string(random()));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  fs::path path;
};

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(LogFile, each_line_starts_with_an_iso8601_utc_timestamp_with_milliseconds_and_its_severity) {
  ScratchDir dir;
  {
    daemon::LogFile log((dir.path / "module.log").string());
    log.write(io::Severity::info, "state WAIT -> PRIM: because");
    log.write(io::Severity::warn, "peer down");
    log.write(io::Severity::error, "disk full");
  }
  const std::string text = read(dir.path / "module.log");
  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO |WARN |ERROR) .*\n)");
  std::istringstream lines(text);
  std::string one;
  int count = 0;
  while (std::getline(lines, one)) {
    EXPECT_TRUE(std::regex_match(one + "\n", line)) << one;
    ++count;
  }
  EXPECT_EQ(count, 3);
  EXPECT_NE(text.find(" INFO  state WAIT"), std::string::npos) << text;
  EXPECT_NE(text.find(" WARN  peer down"), std::string::npos) << text;
  EXPECT_NE(text.find(" ERROR disk full"), std::string::npos) << text;
}

TEST(LogFile, rotates_by_size_and_keeps_the_configured_number_of_old_files) {
  ScratchDir dir;
  const fs::path path = dir.path / "module.log";
  {
    daemon::LogFile log(path.string(), 1000, 2);
    for (int i = 0; i < 100; ++i) log.write(io::Severity::info, "line " + std::to_string(i) + std::string(40, 'x'));
  }
  EXPECT_TRUE(fs::exists(path));
  EXPECT_TRUE(fs::exists(dir.path / "module.log.1"));
  EXPECT_TRUE(fs::exists(dir.path / "module.log.2"));
  EXPECT_FALSE(fs::exists(dir.path / "module.log.3")) << "only 2 old files are kept";
  EXPECT_LE(fs::file_size(path), 1000u);
  EXPECT_NE(read(path).find("line 99"), std::string::npos) << "the newest line is in the current file";
  EXPECT_EQ(read(dir.path / "module.log.2").find("line 0 "), std::string::npos) << "the oldest lines were dropped";
}

}  // namespace
}  // namespace hamirror::test
