// One node's own settings: who it is, where its peer is on each heartbeat network,
// its ports and directories. Read from a small TOML file (node_config_parser.h;
// runtime/config/examples/node1.toml documents every key).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hamirror::config {

constexpr std::uint16_t kDefaultConsolePort = 9010;
constexpr std::uint16_t kDefaultReplicationPort = 9011;
constexpr std::uint16_t kDefaultHeartbeatPort = 9012;

// This node's and the peer's address on one heartbeat network ([networks.NAME]); NAME
// matches a <heartbeat name="NAME"> of userconfig.xml.
struct NetworkAddresses {
  std::string name;
  std::string node_address;  // IP literal or host name
  std::string peer_address;
  int line = 0;  // where [networks.NAME] is, for cross-file messages
};

struct WitnessAddress {
  std::string host;  // IP literal (IPv6 without brackets) or host name
  std::uint16_t port = 0;
};

struct NodeConfig {
  std::string name;  // this node, as userconfig.xml's defaultprim names it
  std::string state_dir;  // persisted state and this node's copy of the replicated data
  std::string log_dir;    // the module log and the application log
  int state_dir_line = 0;  // where they are written, for cross-file messages
  int log_dir_line = 0;
  // The cluster key file (`hamirror genkey`), the same on both nodes and the witness.
  // Required unless `insecure = true`: then (empty) peers are not authenticated.
  std::string key_file;
  int key_file_line = 0;  // for messages about the file's contents
  bool insecure = false;  // the admin's explicit choice to run without a cluster key
  std::uint16_t console_port = kDefaultConsolePort;  // loopback control API and web console
  std::uint16_t replication_port = kDefaultReplicationPort;  // listens on the "flow" network
  std::uint16_t heartbeat_port = kDefaultHeartbeatPort;      // UDP, on every network

  std::string peer_name;
  std::uint16_t peer_replication_port = kDefaultReplicationPort;  // default: this node's
  std::uint16_t peer_heartbeat_port = kDefaultHeartbeatPort;      // default: this node's

  std::vector<NetworkAddresses> networks;  // in file order
  std::vector<WitnessAddress> witnesses;   // empty: no witness
};

}  // namespace hamirror::config
