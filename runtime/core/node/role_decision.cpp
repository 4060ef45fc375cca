#include "core/node/role_decision.h"

namespace hamirror::core {

std::string_view node_state_name(NodeState state) {
  switch (state) {
    case NodeState::stop: return "STOP";
    case NodeState::wait: return "WAIT";
    case NodeState::alone: return "ALONE";
    case NodeState::prim: return "PRIM";
    case NodeState::second: return "SECOND";
  }
  return "UNKNOWN";
}

int state_exit_code(NodeState state) { return static_cast<int>(state); }

bool is_primary(NodeState state) { return state == NodeState::alone || state == NodeState::prim; }

namespace {

MeetingDecision wait_because(std::string reason, bool split_brain = false) {
  return MeetingDecision{Role::wait, Reintegration::none, split_brain, std::move(reason)};
}

// A copy that served as primary in its current generation may hold writes it
// acknowledged alone; one given up (current 0) or never primary holds none.
bool may_hold_writes_alone(const GenerationInfo& info) {
  return info.current != 0 && info.last_role == LastRole::primary;
}

// How the secondary gets the primary's data, given how their data relate (seen from
// the secondary). nullopt-like: wait when the secondary's data cannot be overwritten
// without an admin's word.
MeetingDecision become_secondary(DataRelation relation_from_secondary, const GenerationInfo& secondary,
                                 const std::string& primary) {
  switch (relation_from_secondary) {
    case DataRelation::same:
      return {Role::secondary, Reintegration::fast, false, "same data generation as " + primary};
    case DataRelation::peer_newer:
      return {Role::secondary, Reintegration::fast, false, primary + " has newer data: its changes are reintegrated"};
    case DataRelation::unrelated:
      if (may_hold_writes_alone(secondary)) {
        // Property counterexample (seed 430052): both first starts went ALONE apart, and
        // the one that had acknowledged writes was silently overwritten.
        return wait_because("SPLIT BRAIN: this node and " + primary + " share no data history and both served alone; "
                            "nothing is merged: an admin runs `prim` on the node whose data wins", true);
      }
      return {Role::secondary, Reintegration::full, false, "no common data history with " + primary + ": full reintegration"};
    case DataRelation::local_newer:
      return wait_because("this node's data is newer than the running primary " + primary +
                          "'s: not overwriting it; an admin decides (prim here, or second here to discard it)");
    case DataRelation::diverged:
      return wait_because("SPLIT BRAIN: this node and " + primary + " both wrote alone; nothing is merged: an admin runs "
                          "`prim` on the node whose data wins", true);
  }
  return wait_because("unknown data relation");
}

MeetingDecision mirror(const MeetingDecision& decision) {
  MeetingDecision out = decision;
  if (decision.role == Role::primary) out.role = Role::secondary;
  else if (decision.role == Role::secondary) out.role = Role::primary;
  return out;
}

// Both nodes starting: which should be primary? Computed for (first, second) in a
// fixed order so that both sides agree.
MeetingDecision decide_between_starting(const NodeView& first_view, const NodeView& second_view, const ClusterPolicy& policy) {
  const DataRelation relation = compare(first_view.generation, second_view.generation);
  NodeView first = first_view;
  NodeView second = second_view;
  if (relation == DataRelation::same) {
    // "Outdated" says the peer acknowledged writes without this copy, which it does
    // only in a new generation. With the same generation on both sides that never
    // happened (the primary that asked crashed or stopped before going on alone): the
    // mark is moot, and a copy that did not crash must not lose to one that did (seed 425).
    first.generation.outdated = false;
    second.generation.outdated = false;
  }
  const bool first_ok = may_promote_itself(first.generation);
  const bool second_ok = may_promote_itself(second.generation);
  auto first_primary = [&](std::string reason) {
    MeetingDecision d = become_secondary(compare(second.generation, first.generation), second.generation, first.name);
    if (d.role == Role::wait) return d;
    d.role = Role::primary;  // seen from `first`
    d.reason = reason + "; " + d.reason;
    return d;
  };
  auto second_primary = [&](std::string reason) {
    MeetingDecision d = become_secondary(compare(first.generation, second.generation), first.generation, second.name);
    if (d.role == Role::wait) return d;
    d.reason = reason + "; " + d.reason;
    return d;  // `first` is the secondary
  };
  if (relation == DataRelation::diverged) {
    if (policy.on_divergence == DivergencePolicy::discard_fewer_changes &&
        first.generation.changes_alone != second.generation.changes_alone) {
      const bool first_wins = first.generation.changes_alone > second.generation.changes_alone;
      MeetingDecision d{first_wins ? Role::primary : Role::secondary, Reintegration::full, true,
                        "SPLIT BRAIN resolved by policy: " + (first_wins ? first.name : second.name) +
                            " made more changes alone; the other's changes are discarded by a full reintegration"};
      return d;
    }
    return wait_because("SPLIT BRAIN: " + first.name + " and " + second.name +
                        " both wrote alone; nothing is merged: an admin runs `prim` on the node whose data wins", true);
  }
  if (relation == DataRelation::local_newer && first_ok) return first_primary(first.name + " has the newer data");
  if (relation == DataRelation::peer_newer && second_ok) return second_primary(second.name + " has the newer data");
  if (!first_ok && !second_ok) {
    return wait_because("neither node's data is up to date (" + first.name + ": " + why_not_promotable(first.generation) +
                        "; " + second.name + ": " + why_not_promotable(second.generation) + "); an admin runs primforce");
  }
  if (!first_ok) return second_primary(first.name + ": " + why_not_promotable(first.generation));
  if (!second_ok) return first_primary(second.name + ": " + why_not_promotable(second.generation));
  if (relation == DataRelation::same && first.crashed != second.crashed) {
    const std::string why = " stopped cleanly and " + (first.crashed ? first.name : second.name) +
                            " crashed: the copy that did not crash holds every acknowledged write";
    return first.crashed ? second_primary(second.name + why) : first_primary(first.name + why);
  }
  const bool first_was_secondary = first.generation.last_role == LastRole::secondary;
  const bool second_was_secondary = second.generation.last_role == LastRole::secondary;
  if (relation == DataRelation::same && first.crashed && second.crashed && first_was_secondary != second_was_secondary) {
    // Seed 208736: the primary's stop after a failed write was not recorded clean, but
    // it had made its copy durable; the secondary lost power with an acknowledged write
    // it had applied and not yet made durable. A copy that crashed as a secondary may
    // lack such writes (check_admin_prim refuses prim there for the same reason): the
    // other copy (it was not a secondary) is the source, not whichever name comes first.
    const std::string why = " crashed as a secondary and may lack writes it had acknowledged but not made durable";
    return first_was_secondary ? second_primary(first.name + why) : first_primary(second.name + why);
  }
  if (relation == DataRelation::unrelated) {
    // Only one may hold writes it acknowledged alone: it serves, the other is filled.
    const bool first_served = may_hold_writes_alone(first.generation);
    const bool second_served = may_hold_writes_alone(second.generation);
    if (first_served && !second_served) return first_primary(first.name + " served alone and " + second.name + " never did");
    if (second_served && !first_served) return second_primary(second.name + " served alone and " + first.name + " never did");
  }
  // Same (or unrelated) data, both fine: the configured preference, then the names.
  if (policy.default_prim == DefaultPrim::node && !policy.default_prim_node.empty()) {
    if (policy.default_prim_node == first.name) return first_primary("defaultprim is " + first.name);
    if (policy.default_prim_node == second.name) return second_primary("defaultprim is " + second.name);
  }
  if (policy.default_prim == DefaultPrim::lastprim) {
    const bool first_last = first.generation.last_role == LastRole::primary;
    const bool second_last = second.generation.last_role == LastRole::primary;
    if (first_last && !second_last) return first_primary(first.name + " was the last primary");
    if (second_last && !first_last) return second_primary(second.name + " was the last primary");
  }
  return first_primary(first.name + " comes first by name (tie-break)");
}

}  // namespace

MeetingDecision decide_on_meeting(const NodeView& local, const NodeView& peer, const ClusterPolicy& policy) {
  if (is_primary(local.state) && is_primary(peer.state)) {
    // Both ran as primary: if one side's data is a strict extension of the other's,
    // it may still be settled without loss; otherwise it is a split brain.
    const DataRelation relation = compare(local.generation, peer.generation);
    if (relation == DataRelation::local_newer) {
      return {Role::primary, Reintegration::fast, false, "both primary, but only this node wrote alone: it stays primary"};
    }
    if (relation == DataRelation::peer_newer) return become_secondary(relation, local.generation, peer.name);
    if (relation == DataRelation::same && local.generation.current != peer.generation.current) {
      // Both went on alone from one generation and neither acknowledged a write alone
      // (compare): nothing either side told a writer is at stake. They pair as two
      // starting nodes would, the secondary brought back by both nodes' marks.
      if (local.name < peer.name) return decide_between_starting(local, peer, policy);
      return mirror(decide_between_starting(peer, local, policy));
    }
    // Unrelated is a split brain too: two first starts cut off from each other both went
    // ALONE (property counterexample, seed 570253); flagged, so that the admin's prim
    // on either side settles it like any other.
    return wait_because("SPLIT BRAIN: this node and " + peer.name + " were both primary and both wrote; an admin runs "
                        "`prim` on the node whose data wins",
                        relation == DataRelation::diverged || relation == DataRelation::unrelated);
  }
  // A running primary whose data the other node's extends never acknowledged a write
  // alone in its generation (that would have started a new one): everything it
  // acknowledged, the other has. The newer copy takes the role and the primary is
  // reintegrated, rather than both waiting for an admin.
  auto newer_than_primary = [](const NodeView& waiting, const NodeView& primary) {
    return compare(waiting.generation, primary.generation) == DataRelation::local_newer &&
           may_promote_itself(waiting.generation);
  };
  if (is_primary(peer.state)) {
    if (newer_than_primary(local, peer)) {
      return {Role::primary, Reintegration::fast, false,
              "this node's data is newer than the running primary " + peer.name + "'s, which never wrote alone since: "
              "this node takes the role and " + peer.name + " is reintegrated"};
    }
    return become_secondary(compare(local.generation, peer.generation), local.generation, peer.name);
  }
  if (is_primary(local.state)) {
    if (newer_than_primary(peer, local)) {
      return {Role::secondary, Reintegration::fast, false,
              peer.name + "'s data is newer than this running primary's, which never wrote alone since: " + peer.name +
                  " takes the role and this node is reintegrated"};
    }
    MeetingDecision d = become_secondary(compare(peer.generation, local.generation), peer.generation, local.name);
    if (d.role == Role::wait) {
      d.role = Role::primary;  // stay primary; the peer waits
      d.reintegration = Reintegration::none;
      return d;
    }
    return mirror(d);
  }
  // Both starting. Evaluate in name order so both sides compute the same thing.
  if (local.name < peer.name) return decide_between_starting(local, peer, policy);
  return mirror(decide_between_starting(peer, local, policy));
}

AloneDecision decide_alone_at_start(const GenerationInfo& local, const ClusterPolicy& policy, bool crashed) {
  if (const std::string why = why_not_promotable(local); !why.empty()) return {false, why + "; no peer to take data from"};
  if (local.split_brain) {
    return {false, "a split brain with the peer is not resolved: an admin runs prim on the node whose data wins"};
  }
  if (local.last_role == LastRole::secondary) {
    return {false, "this node was secondary when it stopped: its peer may have newer data; waiting for the peer "
                   "(an admin may run prim here)"};
  }
  if (local.paired) {
    // DRBD's wfc-timeout: the peer could take over once this node was gone, and may
    // be serving newer data now. A node that went down alone (degraded) may go on.
    if (crashed) {
      return {false, "this node crashed while its peer held a synchronised copy: the peer has acknowledged writes this "
                     "copy may have lost, and may have taken over since; waiting for the peer (an admin may run "
                     "primforce here)"};
    }
    return {false, "this node stopped while its peer held a synchronised copy: the peer may have taken over since; "
                   "waiting for the peer (an admin may run prim here once sure the peer is not serving)"};
  }
  (void)policy;
  return {true, "no peer answered within the timeout and this node's data is up to date"};
}

AloneDecision decide_on_primary_lost(const GenerationInfo& local, const ClusterPolicy& policy, bool witness_configured,
                                     bool holds_lease) {
  if (!policy.failover) return {false, "failover is off: the secondary does not take over by itself"};
  if (const std::string why = why_not_promotable(local); !why.empty()) return {false, why};
  if (witness_configured && !holds_lease) return {false, "the witness did not grant this node the lease"};
  return {true, witness_configured ? "the primary is gone and the witness granted this node the lease"
                                   : "the primary is gone (every heartbeat network timed out)"};
}

std::string check_admin_prim(const GenerationInfo& local, bool force, bool crashed) {
  if (force) return {};
  if (const std::string why = why_not_promotable(local); !why.empty()) return "prim refused: " + why + " (primforce overrides)";
  if (crashed && local.last_role == LastRole::secondary) {
    return "prim refused: this copy crashed as a secondary and may lack writes it had acknowledged but not made "
           "durable (primforce overrides)";
  }
  if (crashed && local.paired) {
    return "prim refused: this copy crashed while its peer held a synchronised copy and may lack writes it had "
           "acknowledged but not made durable; the peer has them (primforce overrides)";
  }
  return {};
}

}  // namespace hamirror::core
