// One log file of a node (the module log or the application log): each line gets an
// ISO-8601 UTC timestamp with milliseconds, and the file rotates by size
// (module.log -> module.log.1 -> ... -> module.log.<keep>, the oldest dropped).
//
// Lines are appended synchronously, each flushed at once, from the daemon's loop:
// a log line is a few dozen bytes at a rate of a few per second, an append to the page
// cache costs microseconds, and a line written before the daemon dies (kill -9, an
// assertion) is exactly the line support needs. A file that cannot be opened or written
// is reported once on stderr and the line still goes to stderr (see `echo`).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "io/log_severity.h"

namespace hamirror::daemon {

constexpr std::uint64_t kDefaultLogRotateBytes = 10ULL * 1024 * 1024;
constexpr int kDefaultLogFilesKept = 3;

// The log files under a node's log_dir; the CLI (logview, printi fallback) reads the
// same names.
constexpr const char* kModuleLogName = "module.log";
constexpr const char* kApplicationLogName = "application.log";

// "2026-11-26T02:13:07.123Z"
std::string utc_timestamp_now();

class LogFile {
 public:
  LogFile(std::string path, std::uint64_t rotate_bytes = kDefaultLogRotateBytes, int files_kept = kDefaultLogFilesKept);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  // Appends "<timestamp> <SEVERITY> <text>\n", the severity padded to 5 characters
  // ("INFO ", "WARN ", "ERROR") so that the texts line up.
  void write(io::Severity severity, const std::string& text);
  // Also copy every line to stderr (the daemon in the foreground, journald under systemd).
  void set_echo(bool echo) { echo_ = echo; }
  const std::string& path() const { return path_; }

 private:
  bool open();
  void rotate();

  std::string path_;
  std::uint64_t rotate_bytes_;
  int files_kept_;
  std::FILE* file_ = nullptr;
  std::uint64_t size_bytes_ = 0;
  bool echo_ = false;
  bool reported_failure_ = false;
};

}  // namespace hamirror::daemon
