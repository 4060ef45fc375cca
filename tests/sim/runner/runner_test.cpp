// The fault-injection runner: seeds run clean, a seed replays bit for bit, and planted
// bugs are found (a checker that cannot fail proves nothing).
#include "sim/runner/run.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace hamirror::sim::runner {
namespace {

// Simulated seconds of faults per seed in ctest; the CLI defaults to 60.
constexpr std::int64_t kTestDurationS = 30;

RunResult run(std::uint64_t seed, Canary canary = Canary::none, std::int64_t duration_s = kTestDurationS) {
  RunOptions options{.seed = seed, .duration_s = duration_s, .canary = canary};
  auto result = run_seed(options);
  EXPECT_TRUE(result.has_value());
  if (result->violation) {
    std::printf("seed %llu: %s: %s\nreplay: %s\n", static_cast<unsigned long long>(seed), result->violation->invariant.c_str(),
                result->violation->detail.c_str(), replay_command(options).c_str());
    for (const auto& line : result->last_events) std::printf("  %s\n", line.c_str());
  }
  return *result;
}

// Runs `seed` for 60 simulated seconds, as the CLI does, expecting no violation.
RunResult run_clean(std::uint64_t seed) {
  RunResult result = run(seed, Canary::none, 60);
  EXPECT_FALSE(result.violation.has_value()) << result.violation->invariant;
  return result;
}

class RunnerSeeds : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(RunnerSeeds, runs_without_a_violation) {
  const RunResult result = run(GetParam());
  EXPECT_FALSE(result.violation.has_value()) << result.violation->invariant;
  EXPECT_GT(result.stats.ops_acknowledged, 0u);
}

// Seeds that run clean on the core as of this commit. Many others do not yet: each
// failing seed is an open finding (see the README, "The fault-injection runner"), to be
// fixed in the core with a regression test, never papered over here.
INSTANTIATE_TEST_SUITE_P(Seeds, RunnerSeeds, ::testing::Values<std::uint64_t>(2, 5, 7, 8, 9, 10, 11, 12));

// Seed 2086: node1 (PRIM) lost power, then node2's sync before going on alone failed
// (EIO) and it stopped. Both copies then said "crashed" and node1's was chosen, without
// the writes its power cut lost. Two failures: losing unsynced acknowledged writes is
// allowed, and the runner must say so rather than report a lost write.
TEST(Runner, seed_2086_a_failed_sync_of_the_last_copy_after_its_peer_lost_power_is_a_double_failure) {
  const RunResult result = run_clean(2086);
  EXPECT_EQ(result.stats.double_failures, 1u);
  EXPECT_GT(result.stats.unsynced_acks_demoted, 0u);
}

// Seed 2484: node2, primary, sequenced a rename that node1 (its secondary) applied,
// then lost the link and acknowledged the rename alone. The split brain was resolved
// for node1, and the rename, acknowledged after the copies parted, was left out of the
// model although node1 held it: node1 then "lacked" the renamed files' earlier writes.
TEST(Runner, seed_2484_a_loser_op_submitted_before_the_copies_parted_may_be_on_the_winner) {
  const RunResult result = run_clean(2484);
  EXPECT_GE(result.stats.divergences, 1u);
}

// Seed 2586: node1, PRIM without a witness, stopped hearing node2 (cut one way) while
// node2 still applied its ops; node1 ended the silent link and acknowledged them
// alone. The split brain that followed was resolved for node2, and those writes, left
// out of the model as acknowledged after the copies parted, were on node2 all the same
// (bytes where the model had the zeros of an earlier truncate).
TEST(Runner, seed_2586_loser_writes_the_winner_applied_as_its_secondary_may_be_on_the_winner) {
  const RunResult result = run_clean(2586);
  EXPECT_GE(result.stats.divergences, 1u);
}

// Seed 3362: the admin resolved a split brain for node2, which then crashed before the
// two met; later `prim` on node1, still holding its own side, reversed the choice. The
// model had left node1's side out for good and reported it lost. Later changes drew
// other histories for it; since the fix of seeds 162821/172953 its last one (primforce
// on the older of two waiting copies, then a meeting that reported a split brain the
// admin had already decided) settles at the primforce, with no split brain: it must
// stay clean. Seed 60722 (a ctest replay) still reverses a choice.
TEST(Runner, seed_3362_a_second_split_brain_choice_before_the_nodes_met_reverses_the_first) {
  run_clean(3362);
}

// Seed 5360: a PRIM thawed from a freeze abandoned its swap (fence, then take the role
// again) and, in the same instant, met its peer and went ALONE (fence joined, then take
// the role). Both takers ran at the fence's end: the second become_primary asserted.
TEST(Runner, seed_5360_two_askers_joined_to_one_fence_take_the_primary_role_once) {
  run_clean(5360);
}

// Seeds 4593 and 6380: the admin resolved a split brain for node2 while node1, the
// loser, was frozen or cut off. node1 then went on acknowledging on its own side until
// the two met: those acknowledgements are lost by the admin's choice (4593 reported
// them lost when node1 served again; 6380 took node1's serving for a stale promotion).
// Since seed 55793's fix (the mark written before a first acknowledgement alone shifts
// every later event) seed 6380 draws a run without a split brain: it must stay clean.
TEST(Runner, seeds_4593_and_6380_what_the_loser_acknowledges_until_the_nodes_meet_is_lost_by_the_admins_choice) {
  const RunResult result = run_clean(4593);
  EXPECT_GT(result.stats.split_brain_lost_acks, 0u);
  run_clean(6380);
}

// Seed 192434 (async second, no witness): node1 served its side of a reported split
// brain and was frozen when the admin ran prim on node2. Thawed, it acknowledged for
// 0.6 s on its own side until the two met, alternating with node2: those switches are
// the resolved split brain's, not an unreported second one.
TEST(Runner, seed_192434_the_loser_serving_until_the_nodes_meet_is_no_new_split_brain) {
  const RunResult result = run_clean(192434);
  EXPECT_GT(result.stats.split_brain_lost_acks, 0u);
}

// Seed 194108 (no witness): during a full partition both nodes served. node2 unlinked
// c2f3 and renamed c2f0 onto it; node1 still held its old c2f3. That difference is
// node2's (its unlink as much as its rename), a split brain reported when the two met,
// not a write node1 lost.
TEST(Runner, seed_194108_the_peers_unlink_before_its_rename_onto_a_file_explains_the_old_file) {
  const RunResult result = run_clean(194108);
  EXPECT_GT(result.stats.divergences, 0u);
}

// Seed 33723: node2 won a split brain and, its rename of c4f0 onto c4f2 demoted by a
// double failure, held c4f2 at 0444, c4f0's mode on its own side. The model, still
// holding the loser node1's ops that had put a 0644 file at c4f0, took c4f2 for 0644
// (both files agreed) and named only the rename, so those ops were never left out.
TEST(Runner, seed_33723_a_demoted_rename_onto_a_file_leaves_its_mode_unknown) {
  const RunResult result = run_clean(33723);
  EXPECT_GE(result.stats.divergences, 1u);
  EXPECT_EQ(result.stats.double_failures, 1u);
}

// Seed 34751: the same with a rename that failed with EIO (c0f0 onto c0f1, on node2):
// the split brain was resolved for node1, whose own chmod had left c0f1 0755, and the
// model took the loser node2's two 0644 files for the mode of c0f1 (stale_never_promoted).
TEST(Runner, seed_34751_a_rename_failed_with_eio_onto_a_file_leaves_its_mode_unknown) {
  const RunResult result = run_clean(34751);
  EXPECT_GE(result.stats.divergences, 1u);
}

// Seed 60003: a stop fault on node1 joined the admin's restart under way; the restart
// started node1 again and the stop's end found it running. The runner's record of what
// node1 heard stayed "down" for good, ignored every heartbeat after it, and took a
// later partition (node1 silent 4 s, then ALONE) for a split brain the network did not
// cause (single_primary). Whoever starts a stopped node, it hears its peer again.
// Since a node made primary by a meeting waits for its peer's first answer (seed
// 125430) the seed draws another history, without that partition's split brain: it
// only has to stay clean.
TEST(Runner, seed_60003_a_node_started_by_the_admins_restart_after_a_stop_fault_hears_its_peer_again) {
  run_clean(60003);
}

// Seed 60722 (no witness): the admin ran prim on node2 in a split brain, then prim on
// node1, which acknowledged nothing alone after it; when they met, the core made node2
// (which had served meanwhile) the copy that wins and reintegrated node1. The runner
// kept the admin's last choice (node1) and reported node1's own split-brain chmod as
// lost. The choice that took effect is the copy that serves once the pair is
// synchronised.
TEST(Runner, seed_60722_a_split_brain_choice_the_nodes_did_not_follow_is_resolved_for_the_copy_that_serves) {
  const RunResult result = run_clean(60722);
  EXPECT_GE(result.stats.divergences, 1u);
}

TEST(Runner, the_same_seed_gives_the_same_trace_hash_and_another_seed_another) {
  const RunResult first = run(5);
  const RunResult again = run(5);
  const RunResult other = run(7);
  EXPECT_EQ(first.trace_hash, again.trace_hash);
  EXPECT_EQ(first.stats.ops_acknowledged, again.stats.ops_acknowledged);
  EXPECT_NE(first.trace_hash, other.trace_hash);
}

TEST(Runner, a_scenario_is_drawn_from_the_seed_alone_and_a_preset_fixes_the_cluster) {
  EXPECT_EQ(describe(*draw_scenario(11)), describe(*draw_scenario(11)));
  EXPECT_NE(describe(*draw_scenario(11)), describe(*draw_scenario(12)));
  const auto witness = draw_scenario(11, "witness");
  ASSERT_TRUE(witness);
  EXPECT_TRUE(witness->cluster.witness);
  EXPECT_EQ(witness->cluster.timeout_ms, 15000);
  EXPECT_FALSE(draw_scenario(11, "no-such-preset"));
}

// Seeds until the canary's bug is found; returns how many it took (0: never). A seed
// counts only if it runs clean without the canary, so the core's own open findings
// are never mistaken for the canary.
std::uint64_t seeds_to_find(Canary canary, std::uint64_t max_seeds) {
  for (std::uint64_t seed = 1; seed <= max_seeds; ++seed) {
    RunOptions options{.seed = seed, .duration_s = kTestDurationS};
    if (run_seed(options)->violation) continue;
    options.canary = canary;
    const auto result = run_seed(options);
    if (result->violation) {
      std::printf("canary %s found by seed %llu: %s\n", std::string(canary_name(canary)).c_str(),
                  static_cast<unsigned long long>(seed), result->violation->invariant.c_str());
      return seed;
    }
  }
  return 0;
}

TEST(RunnerCanary, a_secondary_that_drops_acknowledged_writes_is_found) {
  EXPECT_GT(seeds_to_find(Canary::secondary_drops_writes, 20), 0u);
}

TEST(RunnerCanary, an_acknowledgement_no_node_made_is_found) {
  EXPECT_GT(seeds_to_find(Canary::oracle_forgets_ack, 20), 0u);
}

}  // namespace
}  // namespace hamirror::sim::runner
