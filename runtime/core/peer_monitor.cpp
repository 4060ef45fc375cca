#include "core/peer_monitor.h"

#include <utility>

#include "core/heartbeat_codec.h"
#include "io/assert.h"

namespace hamirror::core {

struct PeerMonitor::Link {
  HeartbeatNetwork network;
  std::unique_ptr<io::DatagramEndpoint> endpoint;
  std::int64_t last_heard_ns = 0;
  bool up = false;
  std::uint64_t heartbeats_received = 0;
};

PeerMonitor::PeerMonitor(io::Io& io, PeerMonitorConfig config, Listener listener)
    : io_(io), config_(std::move(config)), listener_(std::move(listener)) {
  HM_ASSERT(!config_.networks.empty() && config_.networks.size() <= kMaxHeartbeatNetworks);
  HM_ASSERT(config_.pulse_ms > 0 && config_.timeout_ms > config_.pulse_ms);
  HM_ASSERT(listener_.on_network_change && listener_.on_peer_change);
}

PeerMonitor::~PeerMonitor() = default;

io::Error PeerMonitor::start() {
  HM_ASSERT(links_.empty());
  for (const auto& network : config_.networks) {
    auto link = std::make_unique<Link>();
    link->network = network;
    Link* raw = link.get();
    auto endpoint = io_.network.open_datagram(network.local, [this, raw](const io::Address&, io::ByteView payload) {
      receive(*raw, payload);
    });
    if (!endpoint) {
      links_.clear();
      return endpoint.error();
    }
    link->endpoint = std::move(endpoint).value();
    links_.push_back(std::move(link));
  }
  started_ns_ = io_.clock.now_ns();
  pulse_timer_ = io_.clock.make_timer();
  pulse_timer_->start(0, config_.pulse_ms * io::kNsPerMs, [this] { pulse(); });
  return io::Error::ok;
}

std::vector<NetworkStatus> PeerMonitor::status() const {
  std::vector<NetworkStatus> out;
  for (const auto& link : links_) out.push_back({link->network.name, link->up, link->heartbeats_received});
  return out;
}

void PeerMonitor::pulse() {
  const io::Bytes heartbeat = encode_heartbeat({config_.node_name, ++sequence_, local_state_, local_outdated_, local_request_outdate_, local_generation_});
  const std::int64_t now_ns = io_.clock.now_ns();
  // A send error is not news about the peer: only silence is.
  for (auto& link : links_) (void)link->endpoint->send_to(link->network.peer, heartbeat);
  // A pulse this late means this node's loop stood still (a VM stall): the heartbeats
  // that arrived meanwhile are still waiting to be read, after this timer. Silence is
  // judged once they are: a loop reads what is ready before a timer due later fires
  // (seeds 1565, 44157, 399200: a node thawing from a freeze took its peer for gone,
  // then read its heartbeats, too late). Every late pulse defers, not just the first
  // of a run (seed 35855: thawed, frozen again before the next pulse, thawed again --
  // the second late pulse judged at once and a secondary took over from a live peer).
  // A loop late all the time (overload) still judges, a moment later.
  const bool stalled = last_pulse_ns_ >= 0 && now_ns - last_pulse_ns_ > 2 * config_.pulse_ms * io::kNsPerMs;
  last_pulse_ns_ = now_ns;
  if (!stalled) return judge_silence();
  if (!judge_timer_) judge_timer_ = io_.clock.make_timer();
  judge_timer_->start(kJudgeAfterStallNs, 0, [this] { judge_silence(); });
}

void PeerMonitor::judge_silence() {
  const std::int64_t now_ns = io_.clock.now_ns();
  for (auto& link : links_) {
    if (link->up && now_ns - link->last_heard_ns > config_.timeout_ms * io::kNsPerMs) {
      set_link_state(*link, false, "no heartbeat from " + config_.peer_name + " for " + std::to_string(config_.timeout_ms) + " ms");
    }
  }
  // Seed 4315: a secondary restarted, met its primary over the replication link before
  // any heartbeat, and took its peer for gone the moment the link ended, without the
  // timeout of silence a failover waits for.
  if (!heard_since_start_ && !peer_down_ && now_ns - started_ns_ >= config_.timeout_ms * io::kNsPerMs) {
    peer_down_ = true;
    listener_.on_peer_change(false, "no heartbeat from " + config_.peer_name + " on any network since this node started (" +
                                        std::to_string(config_.timeout_ms) + " ms)");
  }
}

void PeerMonitor::receive(Link& link, io::ByteView payload) {
  const auto heartbeat = decode_heartbeat(payload);
  if (!heartbeat || heartbeat->node_name != config_.peer_name) return;  // noise or a stranger
  ++link.heartbeats_received;
  heard_since_start_ = true;
  link.last_heard_ns = io_.clock.now_ns();
  peer_heard_ns_ = link.last_heard_ns;
  const bool generation_changed = heartbeat->generation != peer_generation_;
  peer_generation_ = heartbeat->generation;
  if (generation_changed || heartbeat->state != peer_state_ || heartbeat->outdated != peer_outdated_ ||
      heartbeat->request_outdate != peer_request_outdate_) {
    peer_state_ = heartbeat->state;
    peer_outdated_ = heartbeat->outdated;
    peer_request_outdate_ = heartbeat->request_outdate;
    if (listener_.on_peer_status) listener_.on_peer_status(peer_state_, peer_outdated_, peer_request_outdate_);
  }
  if (!link.up) set_link_state(link, true, "heartbeat from " + config_.peer_name);
}

void PeerMonitor::set_link_state(Link& link, bool up, const std::string& reason) {
  HM_ASSERT(link.up != up);
  link.up = up;
  listener_.on_network_change(link.network.name, up, reason);
  bool any_up = false;
  for (const auto& other : links_) any_up |= other->up;
  if (any_up == peer_up_) return;
  peer_up_ = any_up;
  peer_down_ = !any_up;
  listener_.on_peer_change(peer_up_, peer_up_ ? "heartbeats on network '" + link.network.name + "'"
                                              : "every heartbeat network is silent");
}

}  // namespace hamirror::core
