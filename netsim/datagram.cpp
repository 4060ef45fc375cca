#include "netsim/datagram.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::netsim {
namespace {

// One datagram (or one copy of it) in flight. The payload is shared by duplicates.
struct Flight {
  io::Address from;
  io::Address to;
  std::string label;  // "dgram a:1>b:2", the trace's name for it
  std::shared_ptr<const io::Bytes> payload;
};

void arrive(Fabric& fabric, const Flight& flight) {
  fabric.links().leave_flight(flight.from.host, flight.to.host);
  Counters& counters = fabric.counters();
  const HostInfo* src = fabric.host(flight.from.host);
  const HostInfo* dst = fabric.host(flight.to.host);
  HM_ASSERT(src != nullptr && dst != nullptr);  // hosts are never removed
  // A cut made while the datagram was on the wire drops it too: the cable is gone.
  if (fabric.blocked(src->node, dst->node, dst->network)) {
    ++counters.datagrams_dropped_partition;
    fabric.record(flight.label + " drop partition");
    return;
  }
  SimDatagramEndpoint* endpoint = fabric.endpoint_at(flight.to);
  if (endpoint == nullptr) {
    ++counters.datagrams_dropped_unroutable;
    fabric.record(flight.label + " drop no_receiver");
    return;
  }
  if (!endpoint->has_room()) {
    ++counters.datagrams_dropped_buffer_full;
    fabric.record(flight.label + " drop buffer_full");
    return;
  }
  ++counters.datagrams_delivered;
  fabric.record(flight.label + " deliver " + std::to_string(flight.payload->size()) + "B", *flight.payload);
  endpoint->deliver(flight.from, *flight.payload);
  fabric.delivered(*src, *dst, flight.to.port);
}

void launch(Fabric& fabric, const Flight& flight, const LinkOptions& options, std::int64_t sent_ns) {
  Counters& counters = fabric.counters();
  if (!fabric.links().enter_flight(flight.from.host, flight.to.host)) {
    ++counters.datagrams_dropped_queue_full;
    fabric.record(flight.label + " drop queue_full");
    return;
  }
  std::int64_t latency_ns = draw_latency_ns(options, fabric.prng());
  if (fabric.prng().chance(options.reorder_probability)) {
    const std::int64_t extra_ns = fabric.prng().between(0, options.reorder_delay_max_ns);
    latency_ns += extra_ns;
    ++counters.datagrams_reordered;
    fabric.record(flight.label + " reorder +" + std::to_string(extra_ns) + "ns");
  }
  fabric.post_at(sent_ns + latency_ns, [&fabric, flight] { arrive(fabric, flight); });
}

void send(Fabric& fabric, const io::Address& from, const io::Address& to, io::ByteView payload) {
  Counters& counters = fabric.counters();
  ++counters.datagrams_sent;
  Flight flight{from, to, "dgram " + io::to_string(from) + ">" + io::to_string(to), nullptr};
  const HostInfo* src = fabric.host(from.host);
  const HostInfo* dst = fabric.host(to.host);
  HM_ASSERT(src != nullptr);  // the endpoint was bound on it
  if (dst == nullptr || dst->network != src->network) {
    ++counters.datagrams_dropped_unroutable;
    fabric.record(flight.label + " drop unroutable");
    return;
  }
  if (fabric.blocked(src->node, dst->node, dst->network)) {
    ++counters.datagrams_dropped_partition;
    fabric.record(flight.label + " drop partition");
    return;
  }
  // A copy: set_*_link may replace the options while this datagram is in flight.
  const LinkOptions options = fabric.links().options(dst->network, from.host, to.host);
  if (fabric.prng().chance(options.loss_probability)) {
    ++counters.datagrams_dropped_loss;
    fabric.record(flight.label + " drop loss");
    return;
  }
  const bool duplicate = fabric.prng().chance(options.duplicate_probability);
  // Duplication happens past the sender's link: both copies leave when it is sent.
  const std::int64_t sent_ns = fabric.links().transmit(from.host, to.host, payload.size(), options, fabric.now_ns());
  flight.payload = std::make_shared<const io::Bytes>(payload.begin(), payload.end());
  launch(fabric, flight, options, sent_ns);
  if (duplicate) {
    ++counters.datagrams_duplicated;
    fabric.record(flight.label + " duplicate");
    launch(fabric, flight, options, sent_ns);
  }
}

}  // namespace

SimDatagramEndpoint::SimDatagramEndpoint(Fabric& fabric, sim::NodeGate* gate, io::Address local, ReceiveFn on_receive)
    : fabric_(fabric), local_(std::move(local)), on_receive_(std::move(on_receive)), gated_(gate) {
  HM_ASSERT(on_receive_);
  fabric_.add_endpoint(local_, this);
  fabric_.object_opened();
}

SimDatagramEndpoint::~SimDatagramEndpoint() {
  // Datagrams still in flight look the address up on arrival and find nobody.
  fabric_.remove_endpoint(local_);
  fabric_.unbind(Protocol::datagram, local_);
  fabric_.object_closed();
}

io::Error SimDatagramEndpoint::send_to(const io::Address& to, io::ByteView payload) {
  if (payload.size() > io::kMaxDatagramBytes) return io::Error::message_too_large;
  if (to.host.empty() || to.port == 0) return io::Error::invalid_argument;
  send(fabric_, local_, to, payload);
  return io::Error::ok;
}

void SimDatagramEndpoint::deliver(const io::Address& from, io::ByteView payload) {
  if (!gated_.holding()) return receive(from, payload);
  HM_ASSERT(held_ < kMaxHeldDatagrams);
  ++held_;
  gated_.run([this, from, bytes = io::Bytes(payload.begin(), payload.end())] {
    --held_;
    receive(from, bytes);
  });
}

void SimDatagramEndpoint::receive(const io::Address& from, io::ByteView payload) {
  // A copy: the callback may destroy this endpoint, and with it on_receive_.
  auto on_receive = on_receive_;
  on_receive(from, payload);
}

io::Result<std::unique_ptr<io::DatagramEndpoint>> open_sim_datagram(Fabric& fabric, const std::string& node,
                                                                    sim::NodeGate* gate, const io::Address& local,
                                                                    io::DatagramEndpoint::ReceiveFn on_receive) {
  HM_ASSERT(on_receive);
  auto bound = fabric.bind(node, Protocol::datagram, local);
  if (!bound) return bound.error();
  return std::unique_ptr<io::DatagramEndpoint>(
      std::make_unique<SimDatagramEndpoint>(fabric, gate, bound.value(), std::move(on_receive)));
}

}  // namespace hamirror::netsim
