// io::Clock over the scheduler's virtual time. Each node may have its own wall-clock
// offset (clocks of two servers never agree exactly); monotonic time is shared.
//
// With a NodeGate, timer fires go through it: a frozen node's timer fires at most once
// when the node thaws, however many periods it missed (as an event loop that was not
// scheduled finds one overdue timer); a repeating timer keeps its schedule meanwhile.
#pragma once

#include <memory>

#include "io/clock.h"
#include "sim/node_gate.h"
#include "sim/scheduler.h"

namespace hamirror::sim {

// Virtual wall time starts at 2026-01-01T00:00:00Z so logs read like real ones.
constexpr std::int64_t kSimEpochWallNs = 1'767'225'600LL * 1'000'000'000LL;

class SimClock final : public io::Clock {
 public:
  explicit SimClock(Scheduler& scheduler, std::int64_t wall_offset_ns = 0, NodeGate* gate = nullptr)
      : scheduler_(scheduler), wall_offset_ns_(wall_offset_ns), gate_(gate) {}

  std::int64_t now_ns() const override { return scheduler_.now_ns(); }
  std::int64_t wall_ns() const override { return kSimEpochWallNs + wall_offset_ns_ + scheduler_.now_ns(); }
  std::unique_ptr<io::Timer> make_timer() override;

 private:
  Scheduler& scheduler_;
  std::int64_t wall_offset_ns_;
  NodeGate* gate_;  // null: never frozen
};

}  // namespace hamirror::sim
