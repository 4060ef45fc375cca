// Both nodes compute the role decision from the same two views; whatever those are,
// their answers must fit together: never two primaries, never a secondary without a
// primary, and the same reintegration on both sides.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "core/node/role_decision.h"

namespace hamirror::core {
namespace {

GenerationInfo any_generation() {
  // Small id spaces make shared histories (same, newer, diverged) frequent.
  GenerationInfo info;
  info.current = *rc::gen::inRange<std::uint64_t>(0, 6);
  info.history = *rc::gen::container<std::vector<std::uint64_t>>(*rc::gen::inRange<std::size_t>(0, 4),
                                                                 rc::gen::inRange<std::uint64_t>(1, 6));
  info.consistent = *rc::gen::weightedElement<bool>({{9, true}, {1, false}});
  info.outdated = *rc::gen::weightedElement<bool>({{1, true}, {9, false}});
  info.changes_alone = *rc::gen::inRange<std::uint64_t>(0, 3);
  info.last_role = *rc::gen::element(LastRole::none, LastRole::primary, LastRole::secondary);
  return info;
}

bool ids_consistent(const GenerationInfo& a, const GenerationInfo& b) {
  // compare() assumes ids are never reused: neither's current is in both histories.
  auto in = [](const std::vector<std::uint64_t>& h, std::uint64_t id) {
    return id != 0 && std::find(h.begin(), h.end(), id) != h.end();
  };
  if (in(a.history, a.current) || in(b.history, b.current)) return false;
  return !(in(b.history, a.current) && in(a.history, b.current));
}

RC_GTEST_PROP(RoleDecisionProperty, both_sides_reach_answers_that_fit_together, ()) {
  const auto states = rc::gen::element(NodeState::wait, NodeState::alone, NodeState::prim);
  NodeView a{"node1", *states, any_generation()};
  NodeView b{"node2", *states, any_generation()};
  RC_PRE(ids_consistent(a.generation, b.generation));
  const ClusterPolicy policy{.default_prim = *rc::gen::element(DefaultPrim::alone, DefaultPrim::node, DefaultPrim::lastprim),
                             .default_prim_node = *rc::gen::element<std::string>("node1", "node2"),
                             .on_divergence = *rc::gen::element(DivergencePolicy::admin, DivergencePolicy::discard_fewer_changes)};
  const MeetingDecision from_a = decide_on_meeting(a, b, policy);
  const MeetingDecision from_b = decide_on_meeting(b, a, policy);
  RC_ASSERT(!(from_a.role == Role::primary && from_b.role == Role::primary));
  RC_ASSERT(!(from_a.role == Role::secondary && from_b.role != Role::primary));
  RC_ASSERT(!(from_b.role == Role::secondary && from_a.role != Role::primary));
  if (from_a.role == Role::secondary || from_b.role == Role::secondary) {
    RC_ASSERT(from_a.reintegration == from_b.reintegration);
  }
  RC_ASSERT(from_a.split_brain == from_b.split_brain);
}

}  // namespace
}  // namespace hamirror::core
