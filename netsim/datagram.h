// Simulated UDP: the endpoint a node binds, and the path each datagram takes through
// the fabric (route, partition, loss, duplication, bandwidth, latency, reordering).
// Every decision and every delivery goes into the trace.
#pragma once

#include <memory>
#include <string>

#include "io/network.h"
#include "netsim/fabric.h"

namespace hamirror::netsim {

class SimDatagramEndpoint final : public io::DatagramEndpoint {
 public:
  SimDatagramEndpoint(Fabric& fabric, io::Address local, ReceiveFn on_receive);
  ~SimDatagramEndpoint() override;

  io::Address local_address() const override { return local_; }
  io::Error send_to(const io::Address& to, io::ByteView payload) override;

  // Hands an arrived datagram to the owner; called from a scheduler event.
  void deliver(const io::Address& from, io::ByteView payload);

 private:
  Fabric& fabric_;
  io::Address local_;
  ReceiveFn on_receive_;
};

// Binds `local` (which `node` must own) and returns the endpoint.
io::Result<std::unique_ptr<io::DatagramEndpoint>> open_sim_datagram(Fabric& fabric, const std::string& node,
                                                                    const io::Address& local,
                                                                    io::DatagramEndpoint::ReceiveFn on_receive);

}  // namespace hamirror::netsim
