#include "sim/scheduler.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::sim {

Scheduler::EventId Scheduler::at(std::int64_t time_ns, Action fn) {
  HM_ASSERT(time_ns >= now_ns_);
  HM_ASSERT(fn);
  HM_ASSERT(live_ < kMaxPendingEvents);
  const std::uint64_t sequence = next_sequence_++;
  HM_ASSERT(sequence <= kSequenceMask);
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  slots_[slot].sequence = sequence;
  slots_[slot].action = std::move(fn);
  ++live_;
  queue_.push(Event{time_ns, sequence, slot});
  return (std::uint64_t{slot} << kSequenceBits) | sequence;
}

void Scheduler::free_slot(std::uint32_t slot) {
  slots_[slot].sequence = 0;
  free_slots_.push_back(slot);
  --live_;
}

void Scheduler::cancel(EventId id) {
  const std::uint64_t slot = id >> kSequenceBits;
  const std::uint64_t sequence = id & kSequenceMask;
  if (sequence == 0 || slot >= slots_.size() || slots_[slot].sequence != sequence) return;  // ran or cancelled
  // Destroyed now, as before: what the action holds is released at the cancel.
  Action action = std::move(slots_[slot].action);
  slots_[slot].action = nullptr;
  free_slot(static_cast<std::uint32_t>(slot));
}

bool Scheduler::settle_top() {
  while (!queue_.empty() && !live(queue_.top())) queue_.pop();
  return !queue_.empty();
}

bool Scheduler::step() {
  if (!settle_top()) return false;
  const Event event = queue_.top();
  queue_.pop();
  Action fn = std::move(slots_[event.slot].action);
  slots_[event.slot].action = nullptr;
  free_slot(event.slot);
  HM_ASSERT(event.time_ns >= now_ns_);
  now_ns_ = event.time_ns;
  ++events_run_;
  trace_.record_event(now_ns_);
  fn();
  return true;
}

bool Scheduler::run_until(const std::function<bool()>& done, std::int64_t deadline_ns) {
  while (!done()) {
    if (!settle_top() || queue_.top().time_ns > deadline_ns) {
      if (deadline_ns > now_ns_) now_ns_ = deadline_ns;
      return done();
    }
    step();
  }
  return true;
}

void Scheduler::run_for(std::int64_t duration_ns) {
  HM_ASSERT(duration_ns >= 0);
  run_until([] { return false; }, now_ns_ + duration_ns);
}

}  // namespace hamirror::sim
