// connect(): the handshake, its failures, and the birth of a StreamPair. The timing is
// described in stream.h.
#include <utility>

#include "io/assert.h"
#include "netsim/stream.h"

namespace hamirror::netsim {
namespace {

struct Attempt {
  Fabric* fabric;
  sim::NodeGate* gate;  // the connecting node's; usable while `owner` lives
  std::string node;
  std::string local_host;
  std::string remote_node;
  std::string network;
  io::Address remote;
  std::int64_t deadline_ns;
  std::weak_ptr<const int> owner;
  std::shared_ptr<io::Network::ConnectFn> on_connected;
  std::string label;  // "connect node1>10.0.0.2:7000"
};

void finish(const Attempt& attempt, io::Result<std::unique_ptr<io::StreamConnection>> result) {
  if (attempt.owner.expired()) return;  // the Network is gone: nobody to tell
  if (attempt.gate == nullptr || !attempt.gate->holding()) {
    (*attempt.on_connected)(std::move(result));
    return;
  }
  // Held for the thaw (a std::function must be copyable). Dropped unrun, a new
  // connection is destroyed and its peer sees the stream end.
  auto kept = std::make_shared<io::Result<std::unique_ptr<io::StreamConnection>>>(std::move(result));
  attempt.gate->run([attempt, kept] {
    if (attempt.owner.expired()) return;
    (*attempt.on_connected)(std::move(*kept));
  });
}

bool blocked(const Attempt& attempt) {
  const Fabric& fabric = *attempt.fabric;
  return fabric.blocked(attempt.node, attempt.remote_node, attempt.network) ||
         fabric.blocked(attempt.remote_node, attempt.node, attempt.network);
}

void send_syn(const Attempt& attempt);

// The SYN (or its answer) cannot cross: retry, as TCP does, until the deadline.
void retry_or_time_out(const Attempt& attempt) {
  Fabric& fabric = *attempt.fabric;
  fabric.record(attempt.label + " blocked by partition");
  const std::int64_t retry_ns = fabric.now_ns() + kConnectRetryNs;
  if (retry_ns < attempt.deadline_ns) {
    fabric.post_at(retry_ns, [attempt] { send_syn(attempt); });
    return;
  }
  fabric.post_at(attempt.deadline_ns, [attempt] {
    ++attempt.fabric->counters().connects_timed_out;
    attempt.fabric->record(attempt.label + " timed_out");
    finish(attempt, io::Error::timed_out);
  });
}

void establish(const Attempt& attempt, SimListener& listener) {
  Fabric& fabric = *attempt.fabric;
  auto bound = fabric.bind(attempt.node, Protocol::stream, io::Address{attempt.local_host, 0});
  if (!bound) {
    fabric.record(attempt.label + " no ephemeral port");
    finish(attempt, bound.error());
    return;
  }
  const io::Address local = bound.value();
  const std::uint64_t id = fabric.allocate_stream_id();
  auto pair = std::make_shared<StreamPair>(fabric, id, attempt.network,
                                           StreamPair::EndInfo{local, attempt.node, attempt.gate},
                                           StreamPair::EndInfo{attempt.remote, attempt.remote_node, listener.gate()});
  fabric.add_stream(id, pair);
  pair->partitions_changed();  // a cut made during the handshake counts from now
  ++fabric.counters().streams_opened;
  fabric.record(attempt.label + " accepted as stream#" + std::to_string(id) + " from " + io::to_string(local));
  listener.accept(std::make_unique<SimStream>(fabric, pair, StreamPair::kAcceptor, false));

  const LinkOptions& options = fabric.links().options(attempt.network, attempt.remote.host, attempt.local_host);
  fabric.post_after(draw_latency_ns(options, fabric.prng()), [attempt, pair, local] {
    Fabric& fabric = *attempt.fabric;
    if (attempt.owner.expired()) {
      // Nobody will own the connector's end: it closes, and the acceptor sees FIN.
      pair->destroy(StreamPair::kConnector);
      fabric.unbind(Protocol::stream, local);
      return;
    }
    finish(attempt, std::unique_ptr<io::StreamConnection>(
                        std::make_unique<SimStream>(fabric, pair, StreamPair::kConnector, true)));
  });
}

void syn_arrives(const Attempt& attempt) {
  Fabric& fabric = *attempt.fabric;
  if (blocked(attempt)) {  // cut while the SYN was on its way
    retry_or_time_out(attempt);
    return;
  }
  SimListener* listener = fabric.listener_at(attempt.remote);
  if (listener == nullptr) {
    ++fabric.counters().connects_refused;
    fabric.record(attempt.label + " refused");
    finish(attempt, io::Error::connection_refused);
    return;
  }
  if (attempt.owner.expired()) {
    fabric.record(attempt.label + " abandoned");
    return;
  }
  establish(attempt, *listener);
}

void send_syn(const Attempt& attempt) {
  Fabric& fabric = *attempt.fabric;
  if (attempt.owner.expired()) return;  // nobody left to connect for: stop retrying
  if (blocked(attempt)) {
    retry_or_time_out(attempt);
    return;
  }
  const LinkOptions& options = fabric.links().options(attempt.network, attempt.local_host, attempt.remote.host);
  fabric.post_after(draw_latency_ns(options, fabric.prng()), [attempt] { syn_arrives(attempt); });
}

}  // namespace

void connect_sim_stream(Fabric& fabric, const std::string& node, sim::NodeGate* gate, std::weak_ptr<const int> owner,
                        const io::Address& remote, io::Network::ConnectFn on_connected) {
  HM_ASSERT(on_connected);
  ++fabric.counters().connects_started;
  Attempt attempt{&fabric, gate, node, "", "", "", remote, fabric.now_ns() + fabric.options().connect_timeout_ns,
                  std::move(owner), std::make_shared<io::Network::ConnectFn>(std::move(on_connected)),
                  "connect " + node + ">" + io::to_string(remote)};
  fabric.record(attempt.label);
  if (remote.host.empty() || remote.port == 0) {
    fabric.post_after(0, [attempt] { finish(attempt, io::Error::invalid_argument); });
    return;
  }
  const HostInfo* target = fabric.host(remote.host);
  const std::string* local_host = target == nullptr ? nullptr : fabric.host_of(node, target->network);
  if (local_host == nullptr) {
    ++fabric.counters().connects_unreachable;
    fabric.record(attempt.label + " unreachable");
    fabric.post_after(0, [attempt] { finish(attempt, io::Error::unreachable); });
    return;
  }
  attempt.local_host = *local_host;
  attempt.remote_node = target->node;
  attempt.network = target->network;
  send_syn(attempt);
}

}  // namespace hamirror::netsim
