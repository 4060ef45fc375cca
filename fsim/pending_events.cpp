#include "fsim/pending_events.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::fsim {

PendingEvents::PendingEvents(sim::Scheduler& scheduler, std::size_t max_pending)
    : scheduler_(scheduler), max_pending_(max_pending) {
  HM_ASSERT(max_pending > 0);
}

PendingEvents::~PendingEvents() { cancel_all(); }

void PendingEvents::after(std::int64_t delay_ns, std::function<void()> fn) {
  HM_ASSERT(delay_ns >= 0);
  HM_ASSERT(events_.size() < max_pending_);
  const std::uint64_t key = next_key_++;
  // The scheduler moves the action out before running it, so erasing our record
  // first is safe, and nothing of `this` is touched after fn() (it may destroy us).
  const auto id = scheduler_.after(delay_ns, [this, key, fn = std::move(fn)] {
    events_.erase(key);
    gated_.run(fn);
  });
  events_.emplace(key, id);
}

void PendingEvents::cancel_all() {
  for (const auto& [key, id] : events_) scheduler_.cancel(id);
  events_.clear();
  gated_.drop_held();
}

}  // namespace hamirror::fsim
