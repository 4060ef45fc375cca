#include "core/failover/deferred_calls.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::core {

DeferredCalls::DeferredCalls(io::Clock& clock) : timer_(clock.make_timer()) { HM_ASSERT(timer_); }

void DeferredCalls::post(std::function<void()> call) {
  HM_ASSERT(call);
  HM_ASSERT(calls_.size() < kMaxDeferredCalls);
  calls_.push_back(std::move(call));
  if (!timer_->active()) timer_->start(0, 0, [this] { drain(); });
}

void DeferredCalls::drain() {
  // Only what was posted before this turn: a call that posts again runs next turn,
  // so a chain of posts cannot starve the loop.
  std::deque<std::function<void()>> due;
  due.swap(calls_);
  while (!due.empty()) {
    std::function<void()> call = std::move(due.front());
    due.pop_front();
    call();
  }
}

}  // namespace hamirror::core
