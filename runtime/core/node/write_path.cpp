#include "core/node/write_path.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::core {

struct WritePath::State : std::enable_shared_from_this<State> {
  struct Waiting {
    FileOp op;
    DoneFn done;
    bool admitted = false;
    std::uint64_t sequence = 0;
  };

  State(ActivityTracker& tracker_in, NextSequenceFn next_sequence_in, IssueFn issue_in, CompletedFn on_completed_in)
      : tracker(tracker_in),
        next_sequence(std::move(next_sequence_in)),
        issue(std::move(issue_in)),
        on_completed(std::move(on_completed_in)) {}

  void pump() {
    if (pumping) {
      pump_again = true;
      return;
    }
    pumping = true;
    do {
      pump_again = false;
      pump_once();
    } while (pump_again);
    pumping = false;
  }

  void pump_once() {
    while (!queue.empty() && !awaiting_go) {
      Waiting& head = queue.front();
      if (!head.admitted) {
        head.sequence = next_sequence();
        const Admit admit = tracker.before_write(head.sequence, head.op, [weak = weak_from_this()](io::Error result) {
          if (const auto self = weak.lock()) self->on_go(result);
        });
        if (admit.what == Admission::refused) {
          fail_head(admit.error);
          continue;
        }
        if (admit.what == Admission::wait_for_go) {
          awaiting_go = true;
          return;
        }
        head.admitted = true;
      }
      if (!issue_head()) return;  // held: offered again on the next completion
    }
  }

  void on_go(io::Error result) {
    if (abandoned) return;
    HM_ASSERT(awaiting_go && !queue.empty());
    awaiting_go = false;
    if (result != io::Error::ok) {
      fail_head(result);
    } else {
      queue.front().admitted = true;
    }
    pump();
  }

  // false: the applier is full; the head stays.
  bool issue_head() {
    Waiting& head = queue.front();
    HM_ASSERT(next_sequence() == head.sequence);
    FileOp shape = ActivityTracker::shape_of(head.op);
    const std::uint64_t sequence = head.sequence;
    DoneFn done = [weak = weak_from_this(), sequence, shape = std::move(shape), writer = head.done](io::Error result) {
      if (const auto self = weak.lock()) {
        self->on_completed(sequence, shape, result);
        writer(result);
        self->pump();
        return;
      }
      writer(result);
    };
    const io::Error issued = issue(std::move(head.op), std::move(done));
    if (issued == io::Error::would_block) return false;
    if (issued != io::Error::ok) {
      fail_head(issued);
      return true;
    }
    // The log recorded the op under the number the applier gave it.
    HM_ASSERT(next_sequence() == sequence + 1);
    queue.pop_front();
    return true;
  }

  void fail_head(io::Error error) {
    DoneFn done = std::move(queue.front().done);
    queue.pop_front();
    done(error);
  }

  ActivityTracker& tracker;
  NextSequenceFn next_sequence;
  IssueFn issue;
  CompletedFn on_completed;
  std::deque<Waiting> queue;
  bool awaiting_go = false;
  bool abandoned = false;  // abandon(): no op is taken any more
  bool pumping = false;
  bool pump_again = false;
};

WritePath::WritePath(ActivityTracker& tracker, NextSequenceFn next_sequence, IssueFn issue, CompletedFn on_completed)
    : state_(std::make_shared<State>(tracker, std::move(next_sequence), std::move(issue), std::move(on_completed))) {}

WritePath::~WritePath() = default;

io::Error WritePath::submit(FileOp op, DoneFn done) {
  HM_ASSERT(done && !state_->abandoned);
  if (state_->queue.size() >= kMaxWaitingWrites) return io::Error::would_block;
  state_->queue.push_back({std::move(op), std::move(done)});
  state_->pump();
  return io::Error::ok;
}

void WritePath::kick() { state_->pump(); }

void WritePath::fail_waiting(io::Error error) {
  // An op awaiting its go keeps its place in the log's queue: it fails when go runs.
  State& s = *state_;
  std::deque<State::Waiting> failing;
  if (s.awaiting_go) {
    failing.assign(std::make_move_iterator(s.queue.begin() + 1), std::make_move_iterator(s.queue.end()));
    s.queue.erase(s.queue.begin() + 1, s.queue.end());
  } else {
    failing.swap(s.queue);
  }
  for (State::Waiting& waiting : failing) waiting.done(error);
}

void WritePath::abandon(io::Error error) {
  state_->abandoned = true;
  state_->awaiting_go = false;  // its go never comes: it fails with the rest
  fail_waiting(error);
}

std::size_t WritePath::waiting() const { return state_->queue.size(); }

}  // namespace hamirror::core
