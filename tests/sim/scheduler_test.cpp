#include "sim/scheduler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/sim_clock.h"

namespace hamirror::sim {
namespace {

TEST(Scheduler, runs_events_by_time_then_by_insertion_order) {
  Trace trace;
  Scheduler scheduler(trace);
  std::vector<std::string> order;
  scheduler.at(20, [&] { order.push_back("t20"); });
  scheduler.at(10, [&] { order.push_back("t10-first"); });
  scheduler.at(10, [&] { order.push_back("t10-second"); });
  while (scheduler.step()) {
  }
  EXPECT_EQ(order, (std::vector<std::string>{"t10-first", "t10-second", "t20"}));
  EXPECT_EQ(scheduler.now_ns(), 20);
}

TEST(Scheduler, cancelled_event_never_runs) {
  Trace trace;
  Scheduler scheduler(trace);
  bool ran = false;
  const auto id = scheduler.after(5, [&] { ran = true; });
  EXPECT_EQ(scheduler.pending_events(), 1u);
  scheduler.cancel(id);
  EXPECT_EQ(scheduler.pending_events(), 0u);
  scheduler.run_for(100);
  EXPECT_FALSE(ran);
  EXPECT_EQ(scheduler.now_ns(), 100);
}

TEST(Scheduler, cancelling_an_event_that_already_ran_changes_nothing) {
  Trace trace;
  Scheduler scheduler(trace);
  int runs = 0;
  const auto id = scheduler.after(1, [&] { ++runs; });
  scheduler.after(2, [&] { ++runs; });
  scheduler.step();
  scheduler.cancel(id);
  EXPECT_EQ(scheduler.pending_events(), 1u);
  scheduler.step();
  EXPECT_EQ(runs, 2);
}

TEST(Scheduler, run_until_stops_when_the_condition_holds) {
  Trace trace;
  Scheduler scheduler(trace);
  int count = 0;
  for (int i = 1; i <= 10; ++i) scheduler.at(i * 10, [&] { ++count; });
  EXPECT_TRUE(scheduler.run_until([&] { return count == 3; }, 1000));
  EXPECT_EQ(scheduler.now_ns(), 30);
  EXPECT_FALSE(scheduler.run_until([&] { return count == 100; }, 55));
  EXPECT_EQ(count, 5);
  EXPECT_EQ(scheduler.now_ns(), 55);
}

TEST(SimClock, repeating_timer_fires_at_each_period_until_stopped) {
  Trace trace;
  Scheduler scheduler(trace);
  SimClock clock(scheduler);
  auto timer = clock.make_timer();
  std::vector<std::int64_t> fired_at;
  timer->start(100, 50, [&] {
    fired_at.push_back(clock.now_ns());
    if (fired_at.size() == 3) timer->stop();
  });
  scheduler.run_for(1000);
  EXPECT_EQ(fired_at, (std::vector<std::int64_t>{100, 150, 200}));
  EXPECT_FALSE(timer->active());
}

TEST(SimClock, destroying_a_timer_cancels_its_callback) {
  Trace trace;
  Scheduler scheduler(trace);
  SimClock clock(scheduler);
  bool fired = false;
  {
    auto timer = clock.make_timer();
    timer->start(10, 0, [&] { fired = true; });
  }
  scheduler.run_for(100);
  EXPECT_FALSE(fired);
}

// An id stays tied to its own event even once the storage it used serves a newer
// one: cancelling a stale id (ran, or cancelled before) touches no other event.
TEST(Scheduler, a_stale_id_cancels_nothing_after_its_event_is_gone) {
  Trace trace;
  Scheduler scheduler(trace);
  std::vector<std::string> ran;
  const auto cancelled = scheduler.after(2, [&] { ran.push_back("cancelled"); });
  scheduler.cancel(cancelled);
  const auto newer = scheduler.after(5, [&] { ran.push_back("newer"); });
  EXPECT_NE(newer, cancelled);
  scheduler.cancel(cancelled);
  const auto done = scheduler.after(1, [&] { ran.push_back("done"); });
  scheduler.step();
  const auto newest = scheduler.after(3, [&] { ran.push_back("newest"); });
  scheduler.cancel(done);
  EXPECT_EQ(scheduler.pending_events(), 2u);
  scheduler.run_for(10);
  EXPECT_EQ(ran, (std::vector<std::string>{"done", "newest", "newer"}));
  (void)newest;
}

TEST(Trace, same_records_give_same_hash_and_different_records_differ) {
  Trace a, b, c;
  a.record(1, "node1", "PRIM");
  b.record(1, "node1", "PRIM");
  c.record(1, "node1", "SECOND");
  EXPECT_EQ(a.hash(), b.hash());
  EXPECT_NE(a.hash(), c.hash());
  Trace split1, split2;
  split1.record(1, "ab", "c");
  split2.record(1, "a", "bc");
  EXPECT_NE(split1.hash(), split2.hash());
}

TEST(Trace, keeps_the_last_lines_in_order_and_formats_them_when_asked) {
  Trace trace;
  for (int i = 0; i < static_cast<int>(kRecentLines) + 50; ++i) {
    trace.record(std::int64_t{i} * 1'000'000, "node" + std::to_string(i % 2 + 1), "line " + std::to_string(i));
  }
  const std::vector<std::string> lines = trace.recent_lines();
  ASSERT_EQ(lines.size(), kRecentLines);
  EXPECT_EQ(lines.front(), "0.050s node1: line 50");
  EXPECT_EQ(lines[1], "0.051s node2: line 51");
  EXPECT_EQ(lines.back(), "0.249s node2: line 249");
}

// Bytes inside the registered region are folded by where they lie: equal bytes at
// two positions differ, the same position agrees; elsewhere the bytes themselves count.
TEST(Trace, folds_bytes_of_the_registered_region_by_position) {
  const io::Bytes region(64, 0x5A);  // every byte equal, so only positions can differ
  const io::Bytes copy(8, 0x5A);
  auto traced = [&](io::ByteView detail) {
    Trace trace;
    trace.fold_by_position_within(region);
    trace.record(1, "disk", "write", detail);
    return trace.hash();
  };
  const io::ByteView at8(region.data() + 8, 8);
  const io::ByteView at16(region.data() + 16, 8);
  EXPECT_EQ(traced(at8), traced(io::ByteView(region.data() + 8, 8)));
  EXPECT_NE(traced(at8), traced(at16));
  EXPECT_NE(traced(at8), traced(copy));
  // Outside the region, equal bytes give equal hashes wherever they are.
  const io::Bytes other(8, 0x5A);
  EXPECT_EQ(traced(copy), traced(other));
  Trace plain1, plain2;
  plain1.record(1, "disk", "write", at8);
  plain2.record(1, "disk", "write", at16);
  EXPECT_EQ(plain1.hash(), plain2.hash());
}

}  // namespace
}  // namespace hamirror::sim
