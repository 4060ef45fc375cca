// What the platform layer has to say (the OS's answer to a VIP or service change, the
// VIP's gratuitous ARP result), for the backend owner's log: the daemon's module log.
//
// Platform calls run on libuv's thread pool and hand their detail back with the
// result, on the loop (deliver). The VIP's announcement ends on a thread of its own,
// possibly after the backend is gone: post() is safe from any thread, queues the line
// and wakes the loop through a uv_async; once closed (the backend destroyed), or with
// no log given, lines go to stderr instead.
#pragma once

#include <uv.h>

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "io/log_severity.h"

namespace hamirror::uv {

// Called on the loop.
using PlatformLogFn = std::function<void(io::Severity severity, const std::string& line)>;

// Lines waiting for the loop at once; more are counted and reported as dropped (an
// announcement ends within seconds, a few at a time: this bounds a runaway).
constexpr std::size_t kMaxRelayedLines = 64;

class LogRelay {
 public:
  // log empty: every line goes to stderr. The loop must outlive close().
  LogRelay(uv_loop_t* loop, PlatformLogFn log);
  ~LogRelay();
  LogRelay(const LogRelay&) = delete;
  LogRelay& operator=(const LogRelay&) = delete;

  // On the loop thread.
  void deliver(io::Severity severity, const std::string& line);
  // From any thread; the line reaches deliver() on the loop.
  void post(io::Severity severity, std::string line);
  // On the loop thread, once, before the loop goes: lines queued are delivered now,
  // later ones go to stderr.
  void close();

 private:
  void drain();

  PlatformLogFn log_;
  std::mutex mutex_;
  uv_async_t* async_ = nullptr;  // guarded by mutex_; null without a log or once closed
  std::vector<std::pair<io::Severity, std::string>> queue_;  // guarded by mutex_
  std::size_t dropped_ = 0;                                   // guarded by mutex_
};

}  // namespace hamirror::uv
