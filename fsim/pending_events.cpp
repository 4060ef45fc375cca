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

void PendingEvents::after(std::int64_t delay_ns, Fn fn) {
  HM_ASSERT(delay_ns >= 0);
  HM_ASSERT(fn);
  HM_ASSERT(live_ < max_pending_);
  const std::uint64_t key = next_key_++;
  // Nothing of `this` is touched after fn() runs (it may destroy us).
  const auto id = scheduler_.after(delay_ns, [this, key] {
    Fn fn = take(key);
    gated_.run(std::move(fn));
  });
  if (head_ > 0 && head_ * 2 >= events_.size()) {
    events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  events_.push_back(Entry{key, id, std::move(fn)});
  ++live_;
}

PendingEvents::Fn PendingEvents::take(std::uint64_t key) {
  // Keys are increasing, so the entry is found by bisection.
  const auto first = events_.begin() + static_cast<std::ptrdiff_t>(head_);
  auto found = std::lower_bound(first, events_.end(), key, [](const Entry& entry, std::uint64_t k) { return entry.key < k; });
  HM_ASSERT(found != events_.end() && found->key == key && found->event != 0);
  Fn fn = std::move(found->fn);
  found->fn = nullptr;
  found->event = 0;
  --live_;
  while (head_ < events_.size() && events_[head_].event == 0) ++head_;
  if (head_ == events_.size()) {
    events_.clear();
    head_ = 0;
  }
  return fn;
}

void PendingEvents::cancel_all() {
  // Each fn is destroyed at its cancel, in key order (as when the scheduler held it).
  for (std::size_t i = head_; i < events_.size(); ++i) {
    Entry& entry = events_[i];
    if (entry.event == 0) continue;
    scheduler_.cancel(entry.event);
    entry.fn = nullptr;
  }
  events_.clear();
  head_ = 0;
  live_ = 0;
  gated_.drop_held();
}

}  // namespace hamirror::fsim
