#include "core/node/role_decision.h"

#include <gtest/gtest.h>

namespace hamirror::core {
namespace {

GenerationInfo data(std::uint64_t id, std::vector<std::uint64_t> history = {1}) {
  return GenerationInfo{.current = id, .history = std::move(history)};
}

NodeView node(std::string name, NodeState state, GenerationInfo generation) {
  return NodeView{std::move(name), state, std::move(generation)};
}

TEST(RoleDecision, a_node_meeting_a_running_primary_becomes_its_secondary) {
  const auto d = decide_on_meeting(node("node2", NodeState::wait, data(5)), node("node1", NodeState::prim, data(5)), {});
  EXPECT_EQ(d.role, Role::secondary);
  EXPECT_EQ(d.reintegration, Reintegration::fast);
}

TEST(RoleDecision, a_wiped_node_gets_a_full_reintegration) {
  const auto d = decide_on_meeting(node("node2", NodeState::wait, GenerationInfo{}), node("node1", NodeState::alone, data(5)), {});
  EXPECT_EQ(d.role, Role::secondary);
  EXPECT_EQ(d.reintegration, Reintegration::full);
}

TEST(RoleDecision, newer_data_is_never_overwritten_by_a_running_primary_it_takes_the_role) {
  // node2 went on alone (generation 9 after 5); node1 still runs as primary on 5 (it
  // held its writes: acknowledging alone would have started a new generation).
  const auto d = decide_on_meeting(node("node2", NodeState::wait, data(9, {5, 1})), node("node1", NodeState::prim, data(5)), {});
  EXPECT_EQ(d.role, Role::primary);
  EXPECT_NE(d.reason.find("newer"), std::string::npos);
  const auto from_primary = decide_on_meeting(node("node1", NodeState::prim, data(5)), node("node2", NodeState::wait, data(9, {5, 1})), {});
  EXPECT_EQ(from_primary.role, Role::secondary);
  EXPECT_EQ(from_primary.reintegration, d.reintegration);
  // A newer copy that is not promotable (outdated, or mid-reintegration) waits.
  GenerationInfo inconsistent = data(9, {5, 1});
  inconsistent.consistent = false;
  EXPECT_EQ(decide_on_meeting(node("node2", NodeState::wait, inconsistent), node("node1", NodeState::prim, data(5)), {}).role,
            Role::wait);
}

TEST(RoleDecision, diverged_data_is_a_split_brain_reported_and_never_merged) {
  const auto d = decide_on_meeting(node("node1", NodeState::alone, data(8, {5, 1})), node("node2", NodeState::alone, data(9, {5, 1})), {});
  EXPECT_EQ(d.role, Role::wait);
  EXPECT_TRUE(d.split_brain);
  EXPECT_NE(d.reason.find("SPLIT BRAIN"), std::string::npos);
}

// Seed 55793: node1, PRIM with the lease, lost its link and went on alone (generation
// 8 after 5), but its witness was down: it acknowledged nothing and was fenced. node2
// took over (9 after 5) and served. Their meeting is no split brain: node1 becomes
// node2's secondary, its own changes since 5 covered by its marks.
TEST(RoleDecision, a_fenced_primary_that_acknowledged_nothing_alone_becomes_the_secondary) {
  GenerationInfo fenced = data(8, {5, 1});
  fenced.last_role = LastRole::primary;
  GenerationInfo served = data(9, {5, 1});
  served.last_role = LastRole::primary;
  served.acknowledged_alone = true;
  const auto d = decide_on_meeting(node("node1", NodeState::wait, fenced), node("node2", NodeState::alone, served), {});
  EXPECT_EQ(d.role, Role::secondary);
  EXPECT_EQ(d.reintegration, Reintegration::fast);
  EXPECT_FALSE(d.split_brain);
  const auto from_primary = decide_on_meeting(node("node2", NodeState::alone, served), node("node1", NodeState::wait, fenced), {});
  EXPECT_EQ(from_primary.role, Role::primary);
  EXPECT_FALSE(from_primary.split_brain);
  // Had node1 acknowledged a write alone, it would be the split brain it always was.
  fenced.acknowledged_alone = true;
  EXPECT_TRUE(decide_on_meeting(node("node1", NodeState::wait, fenced), node("node2", NodeState::alone, served), {}).split_brain);
}

// Both went on alone from generation 5 and neither has acknowledged anything yet: they
// pair (a review of the 55793 fix: both fenced themselves to WAIT and nothing brought
// them together again).
TEST(RoleDecision, two_primaries_that_acknowledged_nothing_alone_pair_without_a_split_brain) {
  GenerationInfo left = data(8, {5, 1});
  left.last_role = LastRole::primary;
  GenerationInfo right = data(9, {5, 1});
  right.last_role = LastRole::primary;
  const auto d1 = decide_on_meeting(node("node1", NodeState::alone, left), node("node2", NodeState::alone, right), {});
  const auto d2 = decide_on_meeting(node("node2", NodeState::alone, right), node("node1", NodeState::alone, left), {});
  EXPECT_EQ(d1.role, Role::primary);
  EXPECT_EQ(d2.role, Role::secondary);
  EXPECT_EQ(d1.reintegration, Reintegration::fast);
  EXPECT_FALSE(d1.split_brain);
  EXPECT_FALSE(d2.split_brain);
}

// Property counterexample (seed 570253): both first starts, cut off from each other,
// went ALONE; unrelated data on two primaries is a split brain, flagged, so that an
// admin's prim settles it.
TEST(RoleDecision, two_primaries_with_unrelated_data_are_a_split_brain) {
  const auto d = decide_on_meeting(node("node1", NodeState::alone, data(8, {})), node("node2", NodeState::alone, data(9, {})), {});
  EXPECT_EQ(d.role, Role::wait);
  EXPECT_TRUE(d.split_brain);
}

// Property counterexample (seed 430052): node1 went ALONE at its first start and
// acknowledged writes; node2, started apart, went ALONE too. Unrelated data that served
// alone is never overwritten without the admin's word.
TEST(RoleDecision, unrelated_data_that_served_alone_is_never_overwritten_silently) {
  GenerationInfo served = data(8, {});
  served.last_role = LastRole::primary;
  const auto d = decide_on_meeting(node("node1", NodeState::wait, served), node("node2", NodeState::alone, data(9, {})), {});
  EXPECT_EQ(d.role, Role::wait);
  EXPECT_TRUE(d.split_brain);
  // A copy that never served is filled by a full reintegration, as before.
  const auto fresh = decide_on_meeting(node("node1", NodeState::wait, data(8, {})), node("node2", NodeState::alone, data(9, {})), {});
  EXPECT_EQ(fresh.role, Role::secondary);
  EXPECT_EQ(fresh.reintegration, Reintegration::full);
  // Both starting: the one that served takes the role, whatever the names say.
  const auto starting = decide_on_meeting(node("node1", NodeState::wait, data(7, {})), node("node2", NodeState::wait, served), {});
  EXPECT_EQ(starting.role, Role::secondary);
  EXPECT_EQ(starting.reintegration, Reintegration::full);
}

TEST(RoleDecision, a_configured_policy_may_discard_the_side_with_fewer_changes) {
  ClusterPolicy policy{.on_divergence = DivergencePolicy::discard_fewer_changes};
  GenerationInfo busy = data(8, {5, 1});
  busy.changes_alone = 100;
  GenerationInfo quiet = data(9, {5, 1});
  quiet.changes_alone = 3;
  const auto d = decide_on_meeting(node("node1", NodeState::wait, quiet), node("node2", NodeState::wait, busy), policy);
  EXPECT_EQ(d.role, Role::secondary);
  EXPECT_EQ(d.reintegration, Reintegration::full);
  EXPECT_TRUE(d.split_brain);
}

TEST(RoleDecision, two_starting_nodes_follow_defaultprim_then_names) {
  ClusterPolicy policy{.default_prim = DefaultPrim::node, .default_prim_node = "node2"};
  EXPECT_EQ(decide_on_meeting(node("node2", NodeState::wait, data(5)), node("node1", NodeState::wait, data(5)), policy).role, Role::primary);
  EXPECT_EQ(decide_on_meeting(node("node1", NodeState::wait, data(5)), node("node2", NodeState::wait, data(5)), policy).role, Role::secondary);
  EXPECT_EQ(decide_on_meeting(node("node1", NodeState::wait, data(5)), node("node2", NodeState::wait, data(5)), {}).role, Role::primary);
}

TEST(RoleDecision, a_stale_node_starting_alone_waits_and_says_why) {
  GenerationInfo outdated = data(5);
  outdated.outdated = true;
  const auto d = decide_alone_at_start(outdated, {});
  EXPECT_FALSE(d.go_alone);
  EXPECT_NE(d.reason.find("outdated"), std::string::npos);
  EXPECT_TRUE(decide_alone_at_start(data(5), {}).go_alone);
  GenerationInfo was_secondary = data(5);
  was_secondary.last_role = LastRole::secondary;
  EXPECT_FALSE(decide_alone_at_start(was_secondary, {}).go_alone);
}

// Seeds 446 (stopped) and 1353 (crashed): a node that went down while its peer held a
// synchronised copy waits for the peer at its next start, which may have taken over.
TEST(RoleDecision, seed_446_a_node_that_went_down_while_paired_waits_for_its_peer_at_start) {
  GenerationInfo paired = data(5);
  paired.paired = true;
  const auto stopped = decide_alone_at_start(paired, {}, /*crashed=*/false);
  EXPECT_FALSE(stopped.go_alone);
  EXPECT_NE(stopped.reason.find("stopped while its peer held a synchronised copy"), std::string::npos) << stopped.reason;
  const auto crashed = decide_alone_at_start(paired, {}, /*crashed=*/true);
  EXPECT_FALSE(crashed.go_alone);
  EXPECT_NE(crashed.reason.find("crashed while its peer"), std::string::npos) << crashed.reason;
  EXPECT_EQ(check_admin_prim(paired, false, /*crashed=*/false), "") << "after a clean stop the admin may decide";
  EXPECT_NE(check_admin_prim(paired, false, /*crashed=*/true), "") << "a crashed copy may lack acknowledged writes";
  EXPECT_EQ(check_admin_prim(paired, true, /*crashed=*/true), "");
  EXPECT_TRUE(decide_alone_at_start(data(5), {}, /*crashed=*/true).go_alone) << "a node that was alone goes on";
}

// Seed 425: the secondary marked itself outdated on a stale request of a primary that
// crashed before going on alone. Same generation: the mark is moot, and the copy that
// did not crash (it holds every acknowledged write) must win over the crashed one.
TEST(RoleDecision, seed_425_an_outdated_mark_within_the_same_generation_does_not_hand_the_role_to_a_crashed_copy) {
  NodeView crashed = node("node1", NodeState::wait, data(5));
  crashed.crashed = true;
  GenerationInfo marked = data(5);
  marked.outdated = true;
  const NodeView outdated = node("node2", NodeState::wait, marked);
  const auto d = decide_on_meeting(crashed, outdated, {});
  EXPECT_EQ(d.role, Role::secondary) << d.reason;
  EXPECT_EQ(decide_on_meeting(outdated, crashed, {}).role, Role::primary) << "both sides agree";
  GenerationInfo newer = data(6);
  newer.history = {5};
  EXPECT_EQ(decide_on_meeting(node("node1", NodeState::wait, newer), outdated, {}).role, Role::primary)
      << "a primary that did go on alone has the newer data";
}

// Seed 208736: both copies of one generation count as crashed (node2, the primary,
// stopped after a failed write and its stop was not recorded clean; node1, its
// secondary, lost power with an acknowledged write not yet durable). The name
// tie-break made node1 the source and node2's copy of that write was overwritten.
TEST(RoleDecision, seed_208736_of_two_crashed_copies_the_one_that_crashed_as_a_secondary_is_not_the_source) {
  GenerationInfo was_secondary = data(5);
  was_secondary.last_role = LastRole::secondary;
  GenerationInfo was_primary = data(5);
  was_primary.last_role = LastRole::primary;
  NodeView one = node("node1", NodeState::wait, was_secondary);
  NodeView two = node("node2", NodeState::wait, was_primary);
  one.crashed = true;
  two.crashed = true;
  const auto d = decide_on_meeting(one, two, {});
  EXPECT_EQ(d.role, Role::secondary) << d.reason;
  EXPECT_NE(d.reason.find("crashed as a secondary"), std::string::npos) << d.reason;
  EXPECT_EQ(decide_on_meeting(two, one, {}).role, Role::primary) << "both sides agree";
  two.generation.last_role = LastRole::secondary;
  EXPECT_EQ(decide_on_meeting(one, two, {}).role, Role::primary) << "alike: the names decide";
}

TEST(RoleDecision, prim_is_refused_on_stale_data_and_primforce_overrides) {
  GenerationInfo mid_resync = data(5);
  mid_resync.consistent = false;
  EXPECT_NE(check_admin_prim(mid_resync, false).find("inconsistent"), std::string::npos);
  EXPECT_EQ(check_admin_prim(mid_resync, true), "");
  EXPECT_EQ(check_admin_prim(data(5), false), "");
  GenerationInfo secondary = data(5);
  secondary.last_role = LastRole::secondary;
  EXPECT_EQ(check_admin_prim(secondary, false, /*crashed=*/false), "") << "a clean stop keeps what it acknowledged";
  EXPECT_NE(check_admin_prim(secondary, false, /*crashed=*/true).find("crashed as a secondary"), std::string::npos);
  EXPECT_EQ(check_admin_prim(secondary, true, /*crashed=*/true), "");
}

TEST(RoleDecision, a_secondary_takes_over_only_with_failover_on_up_to_date_data_and_the_lease) {
  EXPECT_TRUE(decide_on_primary_lost(data(5), {}, false, false).go_alone);
  EXPECT_FALSE(decide_on_primary_lost(data(5), {.failover = false}, false, false).go_alone);
  EXPECT_FALSE(decide_on_primary_lost(data(5), {}, true, false).go_alone);
  EXPECT_TRUE(decide_on_primary_lost(data(5), {}, true, true).go_alone);
  GenerationInfo outdated = data(5);
  outdated.outdated = true;
  EXPECT_FALSE(decide_on_primary_lost(outdated, {}, false, false).go_alone);
}

TEST(RoleDecision, state_exit_codes_are_safekits) {
  EXPECT_EQ(state_exit_code(NodeState::stop), 0);
  EXPECT_EQ(state_exit_code(NodeState::wait), 1);
  EXPECT_EQ(state_exit_code(NodeState::alone), 2);
  EXPECT_EQ(state_exit_code(NodeState::prim), 3);
  EXPECT_EQ(state_exit_code(NodeState::second), 4);
}

}  // namespace
}  // namespace hamirror::core
