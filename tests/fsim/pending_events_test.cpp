#include "fsim/pending_events.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/node_gate.h"

namespace hamirror::fsim {
namespace {

class PendingEventsTest : public ::testing::Test {
 protected:
  sim::Trace trace_;
  sim::Scheduler scheduler_{trace_};
};

TEST_F(PendingEventsTest, runs_each_call_once_at_its_time_in_time_then_call_order) {
  PendingEvents pending(scheduler_, 100);
  std::vector<std::string> order;
  pending.after(20, [&] { order.push_back("b@20"); });
  pending.after(10, [&] { order.push_back("a@10"); });
  pending.after(20, [&] { order.push_back("c@20"); });
  EXPECT_EQ(pending.size(), 3u);
  scheduler_.run_for(15);
  EXPECT_EQ(order, (std::vector<std::string>{"a@10"}));
  EXPECT_EQ(pending.size(), 2u);
  scheduler_.run_for(100);
  EXPECT_EQ(order, (std::vector<std::string>{"a@10", "b@20", "c@20"}));
  EXPECT_EQ(pending.size(), 0u);
  EXPECT_EQ(scheduler_.pending_events(), 0u);
}

TEST_F(PendingEventsTest, cancel_all_drops_every_call_and_releases_what_it_holds) {
  PendingEvents pending(scheduler_, 100);
  auto held = std::make_shared<int>(1);
  bool ran = false;
  pending.after(5, [held, &ran] { ran = true; });
  pending.after(0, [held, &ran] { ran = true; });
  EXPECT_EQ(held.use_count(), 3);
  pending.cancel_all();
  EXPECT_EQ(held.use_count(), 1);  // destroyed at the cancel, not when the time comes
  EXPECT_EQ(pending.size(), 0u);
  EXPECT_EQ(scheduler_.pending_events(), 0u);
  scheduler_.run_for(100);
  EXPECT_FALSE(ran);
}

TEST_F(PendingEventsTest, destroying_it_cancels_its_calls) {
  bool ran = false;
  {
    PendingEvents pending(scheduler_, 100);
    pending.after(1, [&ran] { ran = true; });
  }
  scheduler_.run_for(100);
  EXPECT_FALSE(ran);
}

TEST_F(PendingEventsTest, a_call_may_destroy_its_owner) {
  auto pending = std::make_unique<PendingEvents>(scheduler_, 100);
  bool later_ran = false;
  pending->after(1, [&pending] { pending.reset(); });
  pending->after(2, [&later_ran] { later_ran = true; });
  scheduler_.run_for(100);
  EXPECT_EQ(pending, nullptr);
  EXPECT_FALSE(later_ran);  // cancelled with its owner
}

TEST_F(PendingEventsTest, calls_made_while_others_run_out_of_order_all_run_once) {
  // Many calls finishing in an order other than their keys' (later ones first), with
  // new ones added as they run: every call runs exactly once, the count stays right.
  PendingEvents pending(scheduler_, 10'000);
  std::vector<int> runs(3000, 0);
  int next = 0;
  std::function<void()> add = [&] {
    const int index = next++;
    if (index >= 3000) return;
    pending.after((3000 - index) % 7, [&, index] {
      ++runs[index];
      add();
      add();
    });
  };
  add();
  scheduler_.run_for(1'000'000);
  for (int index = 0; index < 3000; ++index) ASSERT_EQ(runs[index], 1) << index;
  EXPECT_EQ(pending.size(), 0u);
}

// A call due at 1 ns behind a frozen node's gate; `ran` says whether it ran.
struct CallBehindAFrozenGate {
  explicit CallBehindAFrozenGate(sim::Scheduler& scheduler) : gate(scheduler, "node1"), pending(scheduler, 100) {
    pending.set_gate(&gate);
    gate.freeze();
    pending.after(1, [this] { ran = true; });
  }
  sim::NodeGate gate;
  PendingEvents pending;
  bool ran = false;
};

TEST_F(PendingEventsTest, a_frozen_gate_holds_calls_until_the_thaw) {
  CallBehindAFrozenGate call(scheduler_);
  auto& [gate, pending, ran] = call;
  scheduler_.run_for(100);
  EXPECT_FALSE(ran);
  EXPECT_EQ(pending.size(), 0u);  // its time came: held by the gate now
  gate.thaw();
  scheduler_.run_for(1);
  EXPECT_TRUE(ran);
}

TEST_F(PendingEventsTest, a_held_call_never_runs_once_cancel_all_dropped_it) {
  CallBehindAFrozenGate call(scheduler_);
  auto& [gate, pending, ran] = call;
  scheduler_.run_for(10);
  pending.cancel_all();  // a crash while frozen
  gate.thaw();
  scheduler_.run_for(10);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace hamirror::fsim
