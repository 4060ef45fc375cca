// The scheduler events one simulated component has in flight (completions, delayed
// calls). A crash, or destroying the component, cancels them all: the process that
// issued the calls is gone, so its callbacks must never run (they would touch objects
// of a dead incarnation).
//
// With a NodeGate (set_gate), each fn runs through it once its time has come: a
// frozen node's are held until it thaws; cancel_all() drops held ones too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>
#include <utility>

#include "sim/action.h"
#include "sim/node_gate.h"
#include "sim/scheduler.h"

namespace hamirror::fsim {

class PendingEvents {
 public:
  // Room for a completion's closure in place: a std::function and the result it gets
  // (an io::Result<io::FileStat> is the largest of MemFs's).
  using Fn = sim::BasicAction<80>;

  // max_pending bounds the calls in flight; exceeding it is a runaway caller and
  // stops the run (HM_ASSERT) rather than growing without limit.
  PendingEvents(sim::Scheduler& scheduler, std::size_t max_pending);
  ~PendingEvents();
  PendingEvents(const PendingEvents&) = delete;
  PendingEvents& operator=(const PendingEvents&) = delete;

  // Runs fn after delay_ns through the scheduler, unless cancel_all() comes first.
  // fn is kept here, not in the scheduler's event (which only names it by key): a
  // std::function, or an event closure around one, allocated for nearly every call.
  void after(std::int64_t delay_ns, Fn fn);
  void cancel_all();
  // Calls run through `gate` (null: none), for a component whose calls complete to a
  // node. A layer whose calls go on to an inner file system has none.
  void set_gate(sim::NodeGate* gate) { gated_.set_gate(gate); }

  std::size_t size() const { return live_; }
  sim::Scheduler& scheduler() { return scheduler_; }

 private:
  // The call with `key`, its scheduler event having come: takes its fn and marks it run.
  Fn take(std::uint64_t key);

  sim::Scheduler& scheduler_;
  std::size_t max_pending_;
  std::uint64_t next_key_ = 0;
  // In key order from events_[head_] on, so that cancel_all() walks in a fixed order; a
  // finished one is marked (event 0) and passed over once it reaches the front. Not a
  // std::map: completions come mostly in order, and a node per call was a malloc and a
  // free per simulated disk call; not a std::deque, whose blocks hold few entries this
  // size (one allocation every few calls). The front's holes are reclaimed when they
  // are half of the vector: amortised O(1).
  struct Entry {
    std::uint64_t key = 0;
    sim::Scheduler::EventId event = 0;  // 0: run (or cancelled)
    Fn fn;
  };
  std::vector<Entry> events_;
  std::size_t head_ = 0;
  std::size_t live_ = 0;  // entries not marked finished
  sim::GatedCallbacks gated_;
};

}  // namespace hamirror::fsim
