// Running programs and controlling OS services.
//
// Contract (every backend): callbacks run on the node's event loop, never inside the
// call; every call completes exactly once. A program that outlives its timeout is
// killed and reported with timed_out = true. Captured output is bounded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "io/error.h"

namespace hamirror::io {

constexpr std::size_t kMaxCapturedOutputBytes = 1024 * 1024;

struct ProcessSpec {
  std::string program;  // a path, or a name looked up in PATH
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to the daemon's own
  std::string working_dir;                               // empty: the daemon's
  std::int64_t timeout_ms = 60'000;
};

struct ProcessResult {
  int exit_code = 0;       // meaningful when !timed_out and term_signal == 0
  int term_signal = 0;     // POSIX signal that ended it, 0 if none
  bool timed_out = false;  // killed because it outlived timeout_ms
  std::string output;      // stdout and stderr interleaved, at most kMaxCapturedOutputBytes
  bool output_truncated = false;
};

struct ProcessInfo {
  std::int64_t pid = 0;
  std::string name;  // executable name as the OS reports it ("sqlite3", "app.exe")
  friend bool operator==(const ProcessInfo&, const ProcessInfo&) = default;
};

class Processes {
 public:
  using RunFn = std::function<void(Result<ProcessResult>)>;  // error: could not start
  using ListFn = std::function<void(Result<std::vector<ProcessInfo>>)>;
  virtual ~Processes() = default;
  Processes() = default;
  Processes(const Processes&) = delete;
  Processes& operator=(const Processes&) = delete;

  virtual void run(const ProcessSpec& spec, RunFn done) = 0;
  // Running processes whose name equals `name` (case-insensitive on Windows), by pid.
  virtual void list_by_name(const std::string& name, ListFn done) = 0;
};

enum class ServiceState : std::uint8_t { stopped, starting, running, stopping, unknown };

// An OS service: a Windows SCM service, or a systemd unit on Linux.
class Services {
 public:
  using DoneFn = std::function<void(Error)>;
  using QueryFn = std::function<void(Result<ServiceState>)>;
  virtual ~Services() = default;
  Services() = default;
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  // Both wait, up to timeout_ms, until the service is running (or stopped).
  virtual void start(const std::string& name, std::int64_t timeout_ms, DoneFn done) = 0;
  virtual void stop(const std::string& name, std::int64_t timeout_ms, DoneFn done) = 0;
  virtual void query(const std::string& name, QueryFn done) = 0;
};

}  // namespace hamirror::io
