// io::Network for one simulated node: what World::make_network hands out. It holds no
// state of its own beyond the node's name; binding, routing and faults are the
// fabric's. Destroying it stops pending connect() callbacks; the endpoints, listeners
// and connections it made live on until they are destroyed themselves. With a
// NodeGate, all their callbacks go through it (see world.h).
#pragma once

#include <memory>
#include <string>

#include "io/network.h"
#include "netsim/fabric.h"
#include "sim/node_gate.h"

namespace hamirror::netsim {

class SimNetwork final : public io::Network {
 public:
  SimNetwork(Fabric& fabric, std::string node, sim::NodeGate* gate = nullptr);
  ~SimNetwork() override;

  io::Result<std::unique_ptr<io::DatagramEndpoint>> open_datagram(const io::Address& local,
                                                                  io::DatagramEndpoint::ReceiveFn on_receive) override;
  io::Result<std::unique_ptr<io::StreamListener>> listen(const io::Address& local, AcceptFn on_accept) override;
  void connect(const io::Address& remote, ConnectFn on_connected) override;

  const std::string& node() const { return node_; }

 private:
  Fabric& fabric_;
  std::string node_;
  sim::NodeGate* gate_;  // null: never frozen
  // Connect attempts hold a weak reference: expired means this Network is gone.
  std::shared_ptr<const int> alive_ = std::make_shared<const int>(0);
};

}  // namespace hamirror::netsim
