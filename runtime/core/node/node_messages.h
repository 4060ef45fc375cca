// The first frame each node sends on a new replication link: who it is, its state and
// its data generation. Both sides then run the same role decision on the same facts.
#pragma once

#include <string>

#include "core/heartbeat_codec.h"
#include "core/node/fast_resync.h"
#include "core/node/role_decision.h"
#include "core/replication/generation.h"
#include "core/wire/message_codec.h"

namespace hamirror::core {

struct NodeHello {
  std::string node_name;
  NodeState state = NodeState::wait;
  GenerationInfo generation;
  // What this copy may hold that a copy at the same data point lacks (its activity
  // record: changes while ALONE, extents a crash left active), sealed by seal_marks.
  io::Bytes marks;
  bool crashed = false;  // this node's last run ended in a crash

  HM_WIRE_MESSAGE(wire::MessageType::node_hello, "node_hello")
  HM_WIRE_FIELDS(node_name, state, generation, marks, crashed)
  static constexpr std::size_t kMaxBodyBytes = 1024 + kMaxHelloMarksBytes;
  std::string check() const {
    if (node_name.empty() || node_name.size() > kMaxNodeNameBytes) return "bad node name";
    if (state > NodeState::second) return "unknown state";
    if (marks.size() > kMaxHelloMarksBytes) return "marks larger than " + std::to_string(kMaxHelloMarksBytes) + " bytes";
    return generation.check();
  }
};

// A primary hands its role to its synchronised secondary (a swap, or a clean stop):
// it sends this once its application is stopped, its VIP removed, its copy read-only
// and every op durable on both copies (through `through`). The secondary answers,
// then takes the role at once: PRIM with this node as its secondary (a swap), or
// ALONE when the primary stops.
struct RoleHandover {
  bool primary_stops = false;
  std::uint64_t through = 0;

  HM_WIRE_MESSAGE(wire::MessageType::role_handover, "role_handover")
  HM_WIRE_FIELDS(primary_stops, through)
  static constexpr std::size_t kMaxBodyBytes = 16;
};

struct RoleHandoverAck {
  bool taken = false;  // false: the secondary cannot take the role (not synchronised)

  HM_WIRE_MESSAGE(wire::MessageType::role_handover_ack, "role_handover_ack")
  HM_WIRE_FIELDS(taken)
  static constexpr std::size_t kMaxBodyBytes = 8;
};

}  // namespace hamirror::core
