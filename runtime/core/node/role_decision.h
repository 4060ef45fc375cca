// Who becomes primary: the cluster's decisions as pure functions of what each node
// knows, so every rule can be tested one by one and the node merely carries them out.
//
// The rules, in order of precedence:
// 1. Data first. A node whose data is not up to date (no data, inconsistent from an
//    unfinished reintegration, or outdated) never becomes primary on its own; only an
//    admin's `primforce` overrides that.
// 2. A running primary stays primary: a node that meets a PRIM or ALONE peer becomes
//    its secondary, if the generations allow it.
// 3. Two nodes starting together: the one with newer data; with the same data, the
//    one that stopped cleanly if the other crashed (the crashed copy may lack
//    acknowledged writes it had not made durable), then defaultprim (a node name, or
//    lastprim), else the smaller node name — a fixed tie-break, so both sides reach
//    the same answer without talking it over.
// 4. Diverged data (both wrote alone: a split brain) is never merged: both wait for an
//    admin's `prim` on the side whose data wins, or a configured policy.
#pragma once

#include <cstdint>
#include <string>

#include "core/replication/generation.h"

namespace hamirror::core {

enum class NodeState : std::uint8_t { stop, wait, alone, prim, second };
std::string_view node_state_name(NodeState state);  // "STOP", "WAIT", ...
// ALONE or PRIM: the node serves writes (and holds the VIP once its role is taken).
bool is_primary(NodeState state);
// SafeKit's `state` exit codes: STOP 0, WAIT 1, ALONE 2, PRIM 3, SECOND 4.
int state_exit_code(NodeState state);

enum class DefaultPrim : std::uint8_t { alone, node, lastprim };
enum class DivergencePolicy : std::uint8_t { admin, discard_fewer_changes };

struct ClusterPolicy {
  DefaultPrim default_prim = DefaultPrim::alone;
  std::string default_prim_node;  // with DefaultPrim::node
  bool failover = true;           // off: a secondary never promotes itself
  DivergencePolicy on_divergence = DivergencePolicy::admin;
};

struct NodeView {
  std::string name;
  NodeState state = NodeState::stop;
  GenerationInfo generation;
  // The node's last run ended in a crash (GenerationInfo::running was found set).
  bool crashed = false;
};

enum class Reintegration : std::uint8_t { none, fast, full };
enum class Role : std::uint8_t { primary, secondary, wait };

struct MeetingDecision {
  Role role = Role::wait;                           // for the local node
  Reintegration reintegration = Reintegration::none;  // into the secondary
  bool split_brain = false;                         // report loudly
  std::string reason;                               // for the module log
};

// The local node meets its peer (both running). Both sides compute this and, from
// the same inputs, reach mirror-image answers.
MeetingDecision decide_on_meeting(const NodeView& local, const NodeView& peer, const ClusterPolicy& policy);

// No peer was found within the timeout after start: ALONE, or WAIT with the reason.
struct AloneDecision {
  bool go_alone = false;
  std::string reason;
};
AloneDecision decide_alone_at_start(const GenerationInfo& local, const ClusterPolicy& policy, bool crashed = false);

// The secondary lost its primary (every heartbeat network silent, or the witness says
// so): take over, or wait.
AloneDecision decide_on_primary_lost(const GenerationInfo& local, const ClusterPolicy& policy, bool witness_configured,
                                     bool holds_lease);

// The admin's `prim` (force = `primforce`): "" when allowed, else why not.
// crashed: the node's last run ended in a crash. A secondary that crashed may lack
// writes it acknowledged but had not made durable: its data is not known to be up to
// date, so only primforce takes it as it is.
std::string check_admin_prim(const GenerationInfo& local, bool force, bool crashed = false);

}  // namespace hamirror::core
