#include "sim/sim_clock.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::sim {
namespace {

class SimTimer final : public io::Timer {
 public:
  SimTimer(Scheduler& scheduler, NodeGate* gate) : scheduler_(scheduler), gated_(gate) {}
  ~SimTimer() override { stop(); }

  void start(std::int64_t delay_ns, std::int64_t repeat_ns, std::function<void()> callback) override {
    HM_ASSERT(delay_ns >= 0 && repeat_ns >= 0);
    HM_ASSERT(callback);
    stop();
    callback_ = std::move(callback);
    repeat_ns_ = repeat_ns;
    arm(delay_ns);
  }

  void stop() override {
    if (event_ != 0) scheduler_.cancel(event_);
    event_ = 0;
    if (held_) {  // a fire held for the thaw is dropped
      held_ = false;
      ++generation_;
    }
  }

  bool active() const override { return event_ != 0 || held_; }

 private:
  void arm(std::int64_t delay_ns) {
    event_ = scheduler_.after(delay_ns, [this] { fire(); });
  }

  void fire() {
    event_ = 0;
    if (repeat_ns_ > 0) arm(repeat_ns_);
    if (held_) return;  // an overdue timer fires once, from the fire already held
    if (gated_.holding()) {
      held_ = true;
      gated_.run([this, generation = generation_] {
        if (generation != generation_) return;  // stopped or restarted meanwhile
        held_ = false;
        run();
      });
      return;
    }
    run();
  }

  void run() {
    // The callback may stop, restart or destroy this timer: copy it first and touch
    // no member afterwards.
    auto callback = callback_;
    callback();
  }

  Scheduler& scheduler_;
  GatedCallbacks gated_;
  std::function<void()> callback_;
  std::int64_t repeat_ns_ = 0;
  Scheduler::EventId event_ = 0;
  bool held_ = false;  // a fire waits in the gate
  std::uint64_t generation_ = 0;
};

}  // namespace

std::unique_ptr<io::Timer> SimClock::make_timer() { return std::make_unique<SimTimer>(scheduler_, gate_); }

}  // namespace hamirror::sim
