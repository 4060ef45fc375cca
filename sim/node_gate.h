// A frozen node: a stopped process, a paused VM, a long GC pause.
//
// Every simulated part of a node's io::Io (its SimClock's timers, its SimNetwork's
// datagrams and streams, its MemFs, SimProcesses, SimServices, SimVirtualIp) hands
// each callback it is about to run for the node to the node's NodeGate. Thawed, the
// callback runs at once, exactly as without a gate. Frozen, it is held: nothing of the
// node runs. Meanwhile the world goes on — time passes for everyone (the node's
// monotonic clock too: now_ns() read after the thaw shows the gap), its requests
// issued before the freeze complete (a disk write reaches the disk, a stream's bytes
// leave), and what others send it lands in its buffers (see each backend for how
// much). thaw() hands everything held back to the scheduler, in the order it was
// held, one scheduler event each starting now (never inline); until the last has run,
// the node's new callbacks queue up behind them, so nothing overtakes what was held.
// From then on the node runs normally.
//
// A component whose callbacks may be held uses GatedCallbacks below, so that a held
// callback of an object destroyed meanwhile (a crashed node's) never runs.
//
// Cost when never frozen: one pointer test per callback; no scheduler event, no
// allocation, no random draw, so an unfrozen run's event order and trace hash are
// exactly those of a run without gates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "sim/scheduler.h"

namespace hamirror::sim {

// Callbacks held for one frozen node; more means a runaway (each backend bounds what
// it holds: one fire per timer, a socket buffer's worth of datagrams, ...).
constexpr std::size_t kMaxHeldCallbacks = 1'000'000;

class NodeGate {
 public:
  NodeGate(Scheduler& scheduler, std::string node);
  NodeGate(const NodeGate&) = delete;
  NodeGate& operator=(const NodeGate&) = delete;

  // Freezing a frozen node, or thawing a running one, is a test's mistake (asserted).
  // Both are recorded in the trace.
  void freeze();
  void thaw();
  bool frozen() const { return frozen_; }

  // True while callbacks do not run at once: frozen, or thawed with held callbacks
  // still waiting for their turn.
  bool holding() const { return frozen_ || !held_.empty(); }

  // Runs fn now, or, while holding, queues it for its turn.
  void run(Action fn);

  std::size_t held() const { return held_.size(); }
  const std::string& node() const { return node_; }

 private:
  void post_release();
  void release_one();

  Scheduler& scheduler_;
  std::string node_;
  bool frozen_ = false;
  bool release_posted_ = false;
  std::deque<Action> held_;
  // The release event holds a weak reference: expired means this gate is gone.
  std::shared_ptr<const int> alive_ = std::make_shared<const int>(0);
};

// A component's callbacks through an optional gate (null: never frozen). A held
// callback runs only if the component still exists and has not dropped its held
// callbacks (drop_held: a crash; the process that waited is gone).
class GatedCallbacks {
 public:
  explicit GatedCallbacks(NodeGate* gate = nullptr) : gate_(gate) {}
  GatedCallbacks(const GatedCallbacks&) = delete;
  GatedCallbacks& operator=(const GatedCallbacks&) = delete;

  void set_gate(NodeGate* gate) { gate_ = gate; }
  NodeGate* gate() const { return gate_; }
  // True when a callback would be held rather than run now.
  bool holding() const { return gate_ != nullptr && gate_->holding(); }

  // Runs fn now, or holds it (see NodeGate::run).
  template <typename Fn>
  void run(Fn&& fn) {
    if (!holding()) {
      fn();
      return;
    }
    if (!alive_) alive_ = std::make_shared<const int>(0);
    gate_->run([alive = std::weak_ptr<const int>(alive_), fn = std::forward<Fn>(fn)]() mutable {
      if (!alive.expired()) fn();
    });
  }

  void drop_held() { alive_.reset(); }

 private:
  NodeGate* gate_;
  // Created on the first hold; held callbacks die with it.
  std::shared_ptr<const int> alive_;
};

}  // namespace hamirror::sim
