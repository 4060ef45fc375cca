#include "fsim/pending_events.h"

#include <algorithm>
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
  HM_ASSERT(live_ < max_pending_);
  const std::uint64_t key = next_key_++;
  // The scheduler moves the action out before running it, so erasing our record
  // first is safe, and nothing of `this` is touched after fn() (it may destroy us).
  const auto id = scheduler_.after(delay_ns, [this, key, fn = std::move(fn)] {
    finished(key);
    gated_.run(fn);
  });
  events_.emplace_back(key, id);
  ++live_;
}

void PendingEvents::finished(std::uint64_t key) {
  // Keys are increasing, so the entry is found by bisection.
  auto found = std::lower_bound(events_.begin(), events_.end(), key,
                                [](const auto& entry, std::uint64_t k) { return entry.first < k; });
  HM_ASSERT(found != events_.end() && found->first == key && found->second != 0);
  found->second = 0;
  --live_;
  while (!events_.empty() && events_.front().second == 0) events_.pop_front();
}

void PendingEvents::cancel_all() {
  for (const auto& [key, id] : events_) {
    if (id != 0) scheduler_.cancel(id);
  }
  events_.clear();
  live_ = 0;
  gated_.drop_held();
}

}  // namespace hamirror::fsim
