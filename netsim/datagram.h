// Simulated UDP: the endpoint a node binds, and the path each datagram takes through
// the fabric (route, partition, loss, duplication, bandwidth, latency, reordering).
// Every decision and every delivery goes into the trace.
//
// At a frozen node (a NodeGate holding), an arrived datagram waits in the endpoint's
// receive buffer and reaches on_receive after the thaw; beyond kMaxHeldDatagrams
// waiting, more are dropped (buffer_full), as a full socket buffer drops them.
#pragma once

#include <memory>
#include <string>

#include "io/network.h"
#include "netsim/fabric.h"
#include "sim/node_gate.h"

namespace hamirror::netsim {

class SimDatagramEndpoint final : public io::DatagramEndpoint {
 public:
  SimDatagramEndpoint(Fabric& fabric, sim::NodeGate* gate, io::Address local, ReceiveFn on_receive);
  ~SimDatagramEndpoint() override;

  io::Address local_address() const override { return local_; }
  io::Error send_to(const io::Address& to, io::ByteView payload) override;

  // False when the node is frozen and its receive buffer is full.
  bool has_room() const { return !gated_.holding() || held_ < kMaxHeldDatagrams; }
  // Hands an arrived datagram to the owner (at once, or held while the node is
  // frozen); called from a scheduler event, when has_room().
  void deliver(const io::Address& from, io::ByteView payload);

 private:
  void receive(const io::Address& from, io::ByteView payload);

  Fabric& fabric_;
  io::Address local_;
  ReceiveFn on_receive_;
  sim::GatedCallbacks gated_;
  std::size_t held_ = 0;  // datagrams waiting in the gate
};

// Binds `local` (which `node` must own) and returns the endpoint.
io::Result<std::unique_ptr<io::DatagramEndpoint>> open_sim_datagram(Fabric& fabric, const std::string& node,
                                                                    sim::NodeGate* gate, const io::Address& local,
                                                                    io::DatagramEndpoint::ReceiveFn on_receive);

}  // namespace hamirror::netsim
