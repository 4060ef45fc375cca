// The run's fingerprint. Every scheduler event and every fact a component reports
// (state changes, message payloads, file contents) is folded into one 64-bit XXH3
// hash; two runs with the same seed must print the same hash on every platform.
// The last kRecentLines readable lines are kept for failure reports; with echo on,
// every line is also printed (the runner's --trace).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/bytes.h"

namespace hamirror::sim {

constexpr std::size_t kRecentLines = 200;

class Trace {
 public:
  Trace();
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  // Folds a scheduler event's time (called by the scheduler for every event).
  void record_event(std::int64_t time_ns);
  // Folds a component's fact: who, what, and the bytes that matter (a payload, file
  // contents). The readable line keeps the text, not the bytes.
  void record(std::int64_t time_ns, std::string_view who, std::string_view what, io::ByteView detail = {});
  // As above with several pieces of detail (a file's stored pieces), each folded
  // with its length.
  void record(std::int64_t time_ns, std::string_view who, std::string_view what, std::span<const io::ByteView> details);
  // Detail bytes that lie inside `region` are folded as their position in it and
  // their length instead of their contents: a megabyte payload costs no hashing. Only
  // for a region that never changes while the trace lives and whose bytes are a pure
  // function of their position (the runner's payload pool), so that the position says
  // as much as the bytes and is the same in every run. Empty: hash every byte.
  void fold_by_position_within(io::ByteView region) { by_position_ = region; }

  std::uint64_t hash() const;
  // The last kRecentLines lines, oldest first, formatted now ("12.345s who: what").
  std::vector<std::string> recent_lines() const;
  void set_echo(bool echo) { echo_ = echo; }

 private:
  void fold(const void* data, std::size_t size);
  void fold_detail(io::ByteView detail);
  void keep_line(std::int64_t time_ns, std::string_view who, std::string_view what);

  struct HashState;  // XXH3 streaming state, kept out of this header
  std::unique_ptr<HashState> state_;
  // The recent lines' parts, in a ring: formatting every line costs a snprintf and
  // allocations per event, while they are read only when a run fails. The strings
  // are assigned over, so once the ring is full their buffers are reused.
  struct Line {
    std::int64_t time_ns = 0;
    std::string who;
    std::string what;
  };
  std::vector<Line> recent_;  // up to kRecentLines
  std::size_t next_ = 0;      // where the next line goes once the ring is full
  bool echo_ = false;
  io::ByteView by_position_;
};

// Formats virtual time as seconds with millisecond precision: "12.345s".
std::string format_time(std::int64_t time_ns);

}  // namespace hamirror::sim
