// Time and timers.
//
// Contract (every backend):
// - now_ns() is monotonic: it never goes backwards, and it is what timeouts use.
// - wall_ns() is calendar time (ns since the Unix epoch), only for logs and for
//   timestamps users read; it may jump, so nothing is timed with it.
// - A timer's callback runs on the node's event loop, never inside start() itself.
//   Timers due at the same instant fire in the order they were started.
// - stop() (or destroying the Timer) guarantees the callback will not run again,
//   even if it was already due. A callback may stop, restart or destroy its timer.
// - Single-threaded: call from the loop's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace hamirror::io {

constexpr std::int64_t kNsPerUs = 1'000;
constexpr std::int64_t kNsPerMs = 1'000'000;
constexpr std::int64_t kNsPerS = 1'000'000'000;

class Timer {
 public:
  virtual ~Timer() = default;
  Timer() = default;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Fires after delay_ns, then every repeat_ns if repeat_ns > 0. Restarting a running
  // timer replaces its schedule. delay_ns >= 0, repeat_ns >= 0.
  virtual void start(std::int64_t delay_ns, std::int64_t repeat_ns, std::function<void()> callback) = 0;
  virtual void stop() = 0;
  virtual bool active() const = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;

  virtual std::int64_t now_ns() const = 0;
  virtual std::int64_t wall_ns() const = 0;
  virtual std::unique_ptr<Timer> make_timer() = 0;
};

}  // namespace hamirror::io
