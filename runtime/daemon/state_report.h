// What `GET /api/v1/state` answers: this node's state and why, its data generation,
// whether it is synchronised, the reintegration in progress, and what it last knew of
// its peer. One struct, two renderings: JSON for the web console and scripts, text for
// the `hamirror state` command (so the CLI needs no JSON parser).
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
  // What this node's state says of the peer (the core does not publish the peer's own
  // report): PRIM <-> SECOND; otherwise "unknown" with what is known in peer_note.
  std::string peer_state;
  std::string peer_note;
};

StateReport make_state_report(const core::Node& node, const std::string& peer_name, const std::string& since);
// "12.5 MB" / "3 s"
std::string format_bytes(std::uint64_t bytes);
std::string format_duration(std::uint64_t seconds);
std::string describe_reintegration(const ReintegrationReport& progress);

std::string to_json(const StateReport& report);
std::string to_text(const StateReport& report);

}  // namespace hamirror::daemon
