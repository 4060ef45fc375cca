// Calls made "soon, on the loop" rather than inside the current call.
//
// The classes of this area promise what the seam promises: a completion never runs
// inside the call that asked for it (a caller may hold state it has not finished
// updating). When a completion is known at once — a request cancelled because a
// stronger one superseded it — it is posted here and runs from a zero-delay timer, in
// post order. Destroying the owner destroys the timer, so nothing posted runs after.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>

#include "io/clock.h"

namespace hamirror::core {

// Bounds the calls waiting for the next turn of the loop: each comes from one
// superseded request, and requests are bounded by their own queues.
constexpr std::size_t kMaxDeferredCalls = 64;

class DeferredCalls {
 public:
  explicit DeferredCalls(io::Clock& clock);
  DeferredCalls(const DeferredCalls&) = delete;
  DeferredCalls& operator=(const DeferredCalls&) = delete;

  void post(std::function<void()> call);
  std::size_t pending() const { return calls_.size(); }

 private:
  void drain();

  std::unique_ptr<io::Timer> timer_;
  std::deque<std::function<void()>> calls_;
};

}  // namespace hamirror::core
