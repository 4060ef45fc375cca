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
#include <functional>
#include <deque>
#include <utility>

#include "sim/node_gate.h"
#include "sim/scheduler.h"

namespace hamirror::fsim {

class PendingEvents {
 public:
  // max_pending bounds the calls in flight; exceeding it is a runaway caller and
  // stops the run (HM_ASSERT) rather than growing without limit.
  PendingEvents(sim::Scheduler& scheduler, std::size_t max_pending);
  ~PendingEvents();
  PendingEvents(const PendingEvents&) = delete;
  PendingEvents& operator=(const PendingEvents&) = delete;

  // Runs fn after delay_ns through the scheduler, unless cancel_all() comes first.
  void after(std::int64_t delay_ns, std::function<void()> fn);
  void cancel_all();
  // Calls run through `gate` (null: none), for a component whose calls complete to a
  // node. A layer whose calls go on to an inner file system has none.
  void set_gate(sim::NodeGate* gate) { gated_.set_gate(gate); }

  std::size_t size() const { return live_; }
  sim::Scheduler& scheduler() { return scheduler_; }

 private:
  // Marks the call with `key` as run (its scheduler event is gone).
  void finished(std::uint64_t key);

  sim::Scheduler& scheduler_;
  std::size_t max_pending_;
  std::uint64_t next_key_ = 0;
  // (key, scheduler event) in key order, so that cancel_all() walks in a fixed order;
  // a finished one is marked (event 0) and dropped once it reaches the front. Not a
  // std::map: completions come mostly in order, and a node per call was a malloc and
  // a free per simulated disk call.
  std::deque<std::pair<std::uint64_t, sim::Scheduler::EventId>> events_;
  std::size_t live_ = 0;  // entries not marked finished
  sim::GatedCallbacks gated_;
};

}  // namespace hamirror::fsim
