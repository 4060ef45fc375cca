#include "daemon/log_file.h"

#include <chrono>
#include <filesystem>
#include <system_error>

namespace hamirror::daemon {

std::string utc_timestamp_now() {
  using namespace std::chrono;
  const auto now = time_point_cast<milliseconds>(system_clock::now());
  const auto day = floor<days>(now);
  const year_month_day date{day};
  const hh_mm_ss time{now - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
  return text;
}

LogFile::LogFile(std::string path, std::uint64_t rotate_bytes, int files_kept)
    : path_(std::move(path)), rotate_bytes_(rotate_bytes), files_kept_(files_kept < 1 ? 1 : files_kept) {}

LogFile::~LogFile() {
  if (file_ != nullptr) std::fclose(file_);
}

bool LogFile::open() {
  if (file_ != nullptr) return true;
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), error);
  file_ = std::fopen(path_.c_str(), "ab");
  if (file_ == nullptr) {
    if (!reported_failure_) {
      std::fprintf(stderr, "hamirror: cannot open the log file %s (check log_dir in the node's TOML file and its "
                           "permissions); lines go to stderr only\n", path_.c_str());
      reported_failure_ = true;
    }
    return false;
  }
  size_bytes_ = std::filesystem::file_size(path_, error);
  if (error) size_bytes_ = 0;
  return true;
}

void LogFile::rotate() {
  std::fclose(file_);
  file_ = nullptr;
  std::error_code ignored;  // a missing older file is normal; a failed rename only means a bigger file
  std::filesystem::remove(path_ + "." + std::to_string(files_kept_), ignored);
  for (int index = files_kept_ - 1; index >= 1; --index) {
    std::filesystem::rename(path_ + "." + std::to_string(index), path_ + "." + std::to_string(index + 1), ignored);
  }
  std::filesystem::rename(path_, path_ + ".1", ignored);
  size_bytes_ = 0;
}

void LogFile::write(io::Severity severity, const std::string& text) {
  std::string label(io::severity_name(severity));
  label.resize(5, ' ');
  const std::string line = utc_timestamp_now() + " " + label + " " + text + "\n";
  if (echo_) std::fputs(line.c_str(), stderr);
  if (!open()) {
    if (!echo_) std::fputs(line.c_str(), stderr);
    return;
  }
  if (size_bytes_ > 0 && size_bytes_ + line.size() > rotate_bytes_) {
    rotate();
    if (!open()) return;
  }
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    if (!reported_failure_) {
      std::fprintf(stderr, "hamirror: cannot write the log file %s (disk full?)\n", path_.c_str());
      reported_failure_ = true;
    }
    return;
  }
  size_bytes_ += line.size();
}

}  // namespace hamirror::daemon
