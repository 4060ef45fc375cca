// io::Clock over the scheduler's virtual time. Each node may have its own wall-clock
// offset (clocks of two servers never agree exactly); monotonic time is shared.
#pragma once

#include <memory>

#include "io/clock.h"
#include "sim/scheduler.h"

namespace hamirror::sim {

// Virtual wall time starts at 2026-01-01T00:00:00Z so logs read like real ones.
constexpr std::int64_t kSimEpochWallNs = 1'767'225'600LL * 1'000'000'000LL;

class SimClock final : public io::Clock {
 public:
  explicit SimClock(Scheduler& scheduler, std::int64_t wall_offset_ns = 0)
      : scheduler_(scheduler), wall_offset_ns_(wall_offset_ns) {}

  std::int64_t now_ns() const override { return scheduler_.now_ns(); }
  std::int64_t wall_ns() const override { return kSimEpochWallNs + wall_offset_ns_ + scheduler_.now_ns(); }
  std::unique_ptr<io::Timer> make_timer() override;

 private:
  Scheduler& scheduler_;
  std::int64_t wall_offset_ns_;
};

}  // namespace hamirror::sim
