// The simulator's single-threaded event loop with virtual time.
//
// Events run in order of time, then of scheduling (a sequence number breaks ties), so a
// run is a pure function of its seed. Time only moves when an event runs: a simulated
// minute costs nothing but the events in it. Every event run is folded into the trace.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "sim/action.h"
#include "sim/trace.h"

namespace hamirror::sim {

// Bounds the event queue: a runaway (a timer storm, a message loop) fails loudly
// instead of eating the machine's memory.
constexpr std::size_t kMaxPendingEvents = 4'000'000;

class Scheduler {
 public:
  using EventId = std::uint64_t;

  explicit Scheduler(Trace& trace) : trace_(trace) {}
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  std::int64_t now_ns() const { return now_ns_; }

  // Schedules fn at time_ns (>= now). The id can cancel it until it has run.
  EventId at(std::int64_t time_ns, Action fn);
  EventId after(std::int64_t delay_ns, Action fn) { return at(now_ns_ + delay_ns, std::move(fn)); }
  // Cancelling an event that already ran, or was cancelled, does nothing.
  void cancel(EventId id);

  // Runs the next event; false when none is left.
  bool step();
  // Runs events until done() holds (checked before each event) or the next event lies
  // beyond deadline_ns; then time is advanced to deadline_ns if done() never held.
  // Returns done().
  bool run_until(const std::function<bool()>& done, std::int64_t deadline_ns);
  // Runs every event up to now + duration_ns, then sets the time there.
  void run_for(std::int64_t duration_ns);

  std::size_t pending_events() const { return live_; }
  std::uint64_t events_run() const { return events_run_; }
  Trace& trace() { return trace_; }

 private:
  // An event's id names its slot (high bits) and its sequence number (low bits), so
  // that cancel() finds the action without a lookup table: a hash map node per event
  // was a malloc, a free and a hash per event. A slot is reused once its event ran or
  // was cancelled; the sequence number tells a stale id or heap entry from the slot's
  // current one. The heap orders by time, then sequence: the order events were made.
  static constexpr int kSequenceBits = 40;
  static constexpr std::uint64_t kSequenceMask = (std::uint64_t{1} << kSequenceBits) - 1;
  struct Event {
    std::int64_t time_ns;
    std::uint64_t sequence;
    std::uint32_t slot;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.sequence > b.sequence;
    }
  };
  struct Slot {
    std::uint64_t sequence = 0;  // of the event it holds; 0: free
    Action action;
  };
  // Drops cancelled events from the top; true if a live event is next.
  bool settle_top();
  bool live(const Event& event) const { return slots_[event.slot].sequence == event.sequence; }
  void free_slot(std::uint32_t slot);

  Trace& trace_;
  std::int64_t now_ns_ = 0;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t events_run_ = 0;
  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;  // reused last in, first out: deterministic
  std::size_t live_ = 0;                    // events neither run nor cancelled
};

}  // namespace hamirror::sim
