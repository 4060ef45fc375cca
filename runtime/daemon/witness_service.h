// `hamirrord witness --config witness.toml`: the lease-granting witness
// (core::witness::WitnessServer) on a third machine, on a libuv loop, until SIGTERM /
// SIGINT. Its TOML file (examples in witness.example.toml):
//   [witness]
//   listen = "192.168.1.30"        # address the nodes reach it on ("0.0.0.0": all)
//   port = 9020                     # UDP
//   nodes = ["node1", "node2"]      # the two nodes it arbitrates between
//   state_file = "/var/lib/hamirror-witness/epoch"  # its directory must exist
//   key_file = "/etc/hamirror/cluster.key"  # optional: the nodes' cluster key
// Grants and problems are logged to stderr with timestamps (journald under systemd).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace hamirror::daemon {

struct WitnessFileConfig {
  std::string listen;
  std::uint16_t port = 9020;
  std::array<std::string, 2> nodes;
  std::string state_file;
  std::string key_file;  // empty: lease requests are not authenticated
};

struct WitnessConfigResult {
  std::optional<WitnessFileConfig> config;
  std::string error;  // "file:line:column: what" when config is empty
};

WitnessConfigResult parse_witness_config(const std::string& text, const std::string& file);

// Exit code: 0 after a signal; 2 for configuration errors; 3 when it cannot start.
int run_witness(const std::string& config_file);

}  // namespace hamirror::daemon
