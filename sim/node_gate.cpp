#include "sim/node_gate.h"

#include "io/assert.h"

namespace hamirror::sim {

NodeGate::NodeGate(Scheduler& scheduler, std::string node) : scheduler_(scheduler), node_(std::move(node)) {
  HM_ASSERT(!node_.empty());
}

void NodeGate::freeze() {
  HM_ASSERT(!frozen_);
  frozen_ = true;
  scheduler_.trace().record(scheduler_.now_ns(), node_, "frozen");
}

void NodeGate::thaw() {
  HM_ASSERT(frozen_);
  frozen_ = false;
  scheduler_.trace().record(scheduler_.now_ns(), node_, "thawed, " + std::to_string(held_.size()) + " callbacks held");
  post_release();
}

void NodeGate::run(Action fn) {
  HM_ASSERT(fn);
  if (!holding()) {
    fn();
    return;
  }
  HM_ASSERT(held_.size() < kMaxHeldCallbacks);
  held_.push_back(std::move(fn));
}

void NodeGate::post_release() {
  if (release_posted_ || frozen_ || held_.empty()) return;
  release_posted_ = true;
  scheduler_.after(0, [this, alive = std::weak_ptr<const int>(alive_)] {
    if (alive.expired()) return;
    release_posted_ = false;
    release_one();
  });
}

// One held callback per event, so each runs as its own event would have.
void NodeGate::release_one() {
  if (frozen_ || held_.empty()) return;  // frozen again before its turn
  Action fn = std::move(held_.front());
  held_.pop_front();
  post_release();  // before fn, which may freeze the node again or destroy things
  fn();
}

}  // namespace hamirror::sim
