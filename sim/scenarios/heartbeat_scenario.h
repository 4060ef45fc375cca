// The first end-to-end simulation: two nodes watching each other with the real core
// heartbeat monitor over two simulated networks, while the network is cut piece by
// piece and healed, and each node keeps its view of the peer in a state file written
// atomically to its simulated disk. Used by the demo (`hamirror-sim`) and by the
// determinism tests: the same seed must always give the same story and trace hash.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace hamirror::sim {

struct HeartbeatScenarioOptions {
  std::uint64_t seed = 42;
  std::int64_t pulse_ms = 500;
  std::int64_t timeout_ms = 3000;
  // Each line of the story as it happens ("12.500s node1: ..."); may be empty.
  std::function<void(const std::string& line)> narrate;
};

struct HeartbeatScenarioResult {
  std::uint64_t trace_hash = 0;
  std::uint64_t events_run = 0;
  std::int64_t simulated_ns = 0;
  int peer_down_reports = 0;  // both nodes together
  int peer_up_reports = 0;
  bool state_files_survived_crash = false;
};

HeartbeatScenarioResult run_heartbeat_scenario(const HeartbeatScenarioOptions& options);

}  // namespace hamirror::sim
