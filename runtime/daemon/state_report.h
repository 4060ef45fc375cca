// What `GET /api/v1/state` answers: this node's state and why, its data generation,
// whether it is synchronised, the reintegration in progress, and its peer's state as
// the peer's own heartbeats last reported it (or how long it has been silent). One
// struct, two renderings: JSON for the web console and scripts, text for the
// `hamirror state` command (so the CLI needs no JSON parser).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/node/node.h"

namespace hamirror::daemon {

struct ReintegrationReport {
  std::uint64_t bytes_done = 0;
  std::uint64_t bytes_total = 0;
  std::uint64_t rate_bytes_per_s = 0;
  int percent() const;
  std::optional<std::uint64_t> eta_s() const;  // nullopt while the rate is unknown (0)
};

// What this node heard of its peer on the heartbeat networks.
struct PeerHeard {
  bool listening = false;  // heartbeats are watched: this node is not STOP
  bool up = false;         // a heartbeat arrived within the heartbeat timeout
  std::optional<std::int64_t> heard_ms_ago;  // the last heartbeat; nullopt: none since this node started
  std::uint8_t state = 0;  // the core::NodeState the last heartbeat reported
};
PeerHeard peer_heard(const core::Node& node, std::int64_t now_ns);

// PRIM or SECOND, this node is paired with its peer over the replication link, which
// names the peer's state; otherwise its heartbeats do, or it is unreachable / unknown.
struct PeerReport {
  std::string state;  // "PRIM", ...; "unreachable" or "unknown"
  std::string note;   // how long ago it was heard, and what that means for this node
  std::optional<std::string> last_state;         // unreachable: what it last reported
  std::optional<std::int64_t> last_heard_ms_ago;
};
// this_state: this node's; reintegrating: this node (primary) reintegrates the peer.
PeerReport describe_peer(core::NodeState this_state, bool reintegrating, const PeerHeard& heard);

struct StateReport {
  std::string node;
  std::string state;  // "STOP", "WAIT", "ALONE", "PRIM", "SECOND"
  int exit_code = 0;  // SafeKit's: STOP 0, WAIT 1, ALONE 2, PRIM 3, SECOND 4
  std::string reason;
  std::string since;  // UTC time the node entered this state
  std::uint64_t generation = 0;
  bool consistent = true;
  bool outdated = false;
  bool split_brain = false;
  bool synchronised = false;
  bool holds_lease = false;
  std::optional<ReintegrationReport> reintegration;
  std::string peer;
  PeerReport peer_report;
};

StateReport make_state_report(const core::Node& node, const PeerHeard& heard, const std::string& peer_name,
                              const std::string& since);
// "12.5 MB" / "3 s"
std::string format_bytes(std::uint64_t bytes);
std::string format_duration(std::uint64_t seconds);
std::string describe_reintegration(const ReintegrationReport& progress);

std::string to_json(const StateReport& report);
std::string to_text(const StateReport& report);

}  // namespace hamirror::daemon
