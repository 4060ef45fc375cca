// Whole runs in simulated time, many seeds each: a primary writes (PRIM with a
// secondary, or ALONE), something fails, and the plan built from the activity record
// must turn the receiver's copy into the sender's — checked byte for byte with the
// reference plan applier — at the cost the issue allows.
#include <gtest/gtest.h>

#include <string>

#include "harness.h"

namespace hamirror::core {
namespace {

using testing::Harness;
using testing::Tree;
using testing::WorkloadOptions;

constexpr ActivityOptions kSmallExtents{.extent_bytes = 64 * 1024, .block_bytes = 4096, .max_active = 24};

// Applies the plan to `receiver` and checks it now equals `sender`.
void expect_plan_reintegrates(const ResyncPlan& plan, const Tree& sender, Tree receiver) {
  ASSERT_FALSE(plan.everything);
  testing::apply_plan(plan, sender, receiver);
  EXPECT_EQ(testing::first_difference(sender, receiver), "");
}

TEST(ActivityRecord, while_alone_every_changed_block_is_in_the_plan_at_most_twice_the_bytes_written) {
  std::uint64_t total_written = 0;
  std::uint64_t total_sent = 0;
  for (const std::uint64_t seed : testing::test_seeds(40)) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Harness harness(seed, kSmallExtents, WorkloadOptions{.renames = false});
    const Tree before = testing::tree_of(harness.second(), "/data");
    harness.start_primary(true, 1 + harness.rng().below(8));
    harness.run(20 + harness.rng().below(300));
    harness.drain();
    const ResyncPlan plan = harness.plan(harness.prim(), harness.dirty());
    expect_plan_reintegrates(plan, testing::tree_of(harness.prim(), "/data"), before);
    // The bound, on the plan's own counter.
    EXPECT_LE(plan.counters.bytes_to_send, 2 * harness.written_while_alone_rounded());
    total_written += harness.written_while_alone_rounded();
    total_sent += plan.counters.bytes_to_send;
  }
  std::printf("alone: %llu bytes written (rounded to blocks), plan sends %llu\n",
              static_cast<unsigned long long>(total_written), static_cast<unsigned long long>(total_sent));
}

TEST(ActivityRecord, renames_and_every_namespace_change_while_alone_are_reintegrated) {
  for (const std::uint64_t seed : testing::test_seeds(40)) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Harness harness(seed, kSmallExtents);
    const Tree before = testing::tree_of(harness.second(), "/data");
    harness.start_primary(true, 1 + harness.rng().below(8));
    harness.run(20 + harness.rng().below(300));
    harness.drain();
    const ResyncPlan plan = harness.plan(harness.prim(), harness.dirty());
    expect_plan_reintegrates(plan, testing::tree_of(harness.prim(), "/data"), before);
  }
}

// The primary loses power mid-stream while PRIM. The secondary (which keeps what it
// received) becomes the sender; the returning primary's copy must be overwritten
// wherever it applied writes the secondary may not have, known from its record.
TEST(ActivityRecord, a_primary_crash_mid_write_yields_a_plan_covering_every_block_it_may_have_written) {
  for (const std::uint64_t seed : testing::test_seeds(40)) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Harness harness(seed, kSmallExtents);
    harness.start_primary(false, 1 + harness.rng().below(8));
    harness.run(400, harness.rng().below(4000));
    harness.crash_primary();
    harness.scheduler().run_for(io::kNsPerS);  // the secondary applies what it received
    const DirtyMap recovered = harness.restart_primary();
    const ResyncPlan plan = harness.plan(harness.second(), recovered);
    expect_plan_reintegrates(plan, testing::tree_of(harness.second(), "/data"), testing::tree_of(harness.prim(), "/data"));
  }
}

// The secondary loses power (or only the link) while PRIM; the primary goes on ALONE.
// What the secondary acknowledged but had not made durable is still active in the
// primary's log, and joins the dirty map when it goes ALONE.
void secondary_leaves(bool crashed) {
  for (const std::uint64_t seed : testing::test_seeds(40)) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Harness harness(seed, kSmallExtents);
    harness.start_primary(false, 1 + harness.rng().below(8));
    harness.run(100 + harness.rng().below(200), harness.rng().below(3000));
    harness.go_alone(crashed);
    harness.run(harness.rng().below(200));
    harness.drain();
    const ResyncPlan plan = harness.plan(harness.prim(), harness.dirty());
    expect_plan_reintegrates(plan, testing::tree_of(harness.prim(), "/data"), testing::tree_of(harness.second(), "/data"));
  }
}

TEST(ActivityRecord, a_secondary_crash_loses_nothing_the_primary_still_holds_active) { secondary_leaves(true); }

TEST(ActivityRecord, a_broken_link_while_prim_loses_nothing_either) { secondary_leaves(false); }

// An ALONE primary loses power: its dirty map is flushed lazily and each flush
// retires extents, so the flushed map plus the extents still in its log cover every
// change since the secondary left. Small logs force many retirements.
TEST(ActivityRecord, an_alone_primary_crash_is_covered_by_its_flushed_dirty_map_and_its_extents) {
  std::uint64_t runs = 0;
  std::uint64_t runs_with_retirements = 0;
  for (const std::uint64_t seed : testing::test_seeds(40)) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Harness harness(seed, kSmallExtents);
    const bool prim_first = harness.rng().chance(1, 2);
    harness.start_primary(!prim_first, 1 + harness.rng().below(8));
    if (prim_first) {
      harness.run(harness.rng().below(200), harness.rng().below(2000));
      harness.go_alone(harness.rng().chance(1, 2));
    }
    harness.run(400, harness.rng().below(6000));
    ++runs;
    runs_with_retirements += harness.retired_through() > 0 ? 1 : 0;
    harness.crash_primary();
    harness.scheduler().run_for(io::kNsPerS);  // a detached secondary finishes what it got
    const DirtyMap recovered = harness.restart_primary();
    const ResyncPlan plan = harness.plan(harness.prim(), recovered);
    expect_plan_reintegrates(plan, testing::tree_of(harness.prim(), "/data"), testing::tree_of(harness.second(), "/data"));
  }
  if (runs >= 10) {
    EXPECT_GE(2 * runs_with_retirements, runs) << "the flush-and-retire path was hardly exercised";
  }
}

}  // namespace
}  // namespace hamirror::core
