#include "sim/scheduler.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::sim {

Scheduler::EventId Scheduler::at(std::int64_t time_ns, std::function<void()> fn) {
  HM_ASSERT(time_ns >= now_ns_);
  HM_ASSERT(fn);
  HM_ASSERT(actions_.size() < kMaxPendingEvents);
  const EventId id = next_id_++;
  queue_.push(Event{time_ns, id});
  actions_.emplace(id, std::move(fn));
  return id;
}

void Scheduler::cancel(EventId id) { actions_.erase(id); }

bool Scheduler::settle_top() {
  while (!queue_.empty() && !actions_.contains(queue_.top().id)) queue_.pop();
  return !queue_.empty();
}

bool Scheduler::step() {
  if (!settle_top()) return false;
  const Event event = queue_.top();
  queue_.pop();
  auto found = actions_.find(event.id);
  std::function<void()> fn = std::move(found->second);
  actions_.erase(found);
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
