// Failure detection by UDP heartbeats on one or more named networks.
//
// Each network sends a heartbeat to the peer every pulse. A network is up while a
// heartbeat from the peer arrived within `timeout`; the peer is up while at least one
// network is up — it is declared down only when EVERY heartbeat network timed out
// (one cut cable must not cause a failover). Changes are reported with a reason.
// A peer never heard since start() is not down yet: it is judged down, once, after
// `timeout` of silence counted from start() -- the same silence a peer that was up
// must keep before it is judged down.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/io.h"

namespace hamirror::core {

constexpr std::size_t kMaxHeartbeatNetworks = 8;

struct HeartbeatNetwork {
  std::string name;    // "default", "flow", ...
  io::Address local;   // where this node listens
  io::Address peer;    // where the peer listens
};

struct PeerMonitorConfig {
  std::string node_name;
  std::string peer_name;
  std::vector<HeartbeatNetwork> networks;
  std::int64_t pulse_ms = 700;      // SafeKit's default
  std::int64_t timeout_ms = 30000;  // SafeKit's default
};

struct NetworkStatus {
  std::string name;
  bool up = false;
  std::uint64_t heartbeats_received = 0;
};

class PeerMonitor {
 public:
  // What changed, and a sentence saying why, for the module log.
  struct Listener {
    std::function<void(const std::string& network, bool network_up, const std::string& reason)> on_network_change;
    std::function<void(bool peer_up, const std::string& reason)> on_peer_change;
    // Optional: the peer's heartbeats report another state or flags.
    std::function<void(std::uint8_t peer_state, bool peer_outdated, bool peer_requests_outdate)> on_peer_status;
  };

  // The listener must not destroy the monitor from inside a callback.
  PeerMonitor(io::Io& io, PeerMonitorConfig config, Listener listener);
  ~PeerMonitor();
  PeerMonitor(const PeerMonitor&) = delete;
  PeerMonitor& operator=(const PeerMonitor&) = delete;

  // Binds every network's endpoint and starts pulsing. An error names no network:
  // the caller logs it with the configuration it passed.
  io::Error start();
  bool peer_up() const { return peer_up_; }
  // Every heartbeat network has been silent for `timeout` (since start() if the peer
  // was never heard): what a failover waits for. Neither up nor down: not judged yet.
  bool peer_down() const { return peer_down_; }
  // What this node's heartbeats tell the peer from the next pulse on.
  void set_local_status(std::uint8_t state, bool outdated, bool request_outdate, std::uint64_t generation) {
    local_state_ = state;
    local_outdated_ = outdated;
    local_request_outdate_ = request_outdate;
    local_generation_ = generation;
  }
  std::uint8_t peer_state() const { return peer_state_; }
  bool peer_outdated() const { return peer_outdated_; }
  bool peer_requests_outdate() const { return peer_request_outdate_; }
  std::uint64_t peer_generation() const { return peer_generation_; }
  // When the peer's last heartbeat arrived, on any network (the clock's now_ns); 0: none
  // since start(). With peer_state(), what `hamirror state` says of the peer.
  std::int64_t peer_heard_ns() const { return peer_heard_ns_; }
  std::vector<NetworkStatus> status() const;

 private:
  struct Link;
  void pulse();
  void judge_silence();
  void receive(Link& link, io::ByteView payload);
  void set_link_state(Link& link, bool up, const std::string& reason);

  io::Io& io_;
  PeerMonitorConfig config_;
  Listener listener_;
  std::vector<std::unique_ptr<Link>> links_;
  std::unique_ptr<io::Timer> pulse_timer_;
  std::int64_t last_pulse_ns_ = -1;
  // After a late pulse: judges silence once the loop has read what arrived meanwhile.
  // Longer than zero because libuv runs a zero-delay timer started from a timer's
  // callback in the same pass, before it polls for input.
  static constexpr std::int64_t kJudgeAfterStallNs = io::kNsPerMs;
  std::unique_ptr<io::Timer> judge_timer_;
  std::uint64_t sequence_ = 0;
  bool peer_up_ = false;
  bool peer_down_ = false;
  bool heard_since_start_ = false;
  std::int64_t started_ns_ = 0;
  std::uint8_t local_state_ = 0;
  bool local_outdated_ = false;
  bool local_request_outdate_ = false;
  std::uint64_t local_generation_ = 0;
  std::uint64_t peer_generation_ = 0;
  std::int64_t peer_heard_ns_ = 0;
  std::uint8_t peer_state_ = 0;
  bool peer_outdated_ = false;
  bool peer_request_outdate_ = false;
};

}  // namespace hamirror::core
