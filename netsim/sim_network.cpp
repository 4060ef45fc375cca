#include "netsim/sim_network.h"

#include <utility>

#include "io/assert.h"
#include "netsim/datagram.h"
#include "netsim/stream.h"

namespace hamirror::netsim {

SimNetwork::SimNetwork(Fabric& fabric, std::string node, sim::NodeGate* gate)
    : fabric_(fabric), node_(std::move(node)), gate_(gate) {
  HM_ASSERT(fabric_.has_node(node_));  // add_host first: a typo should fail here
  fabric_.object_opened();
}

SimNetwork::~SimNetwork() { fabric_.object_closed(); }

io::Result<std::unique_ptr<io::DatagramEndpoint>> SimNetwork::open_datagram(
    const io::Address& local, io::DatagramEndpoint::ReceiveFn on_receive) {
  return open_sim_datagram(fabric_, node_, gate_, local, std::move(on_receive));
}

io::Result<std::unique_ptr<io::StreamListener>> SimNetwork::listen(const io::Address& local, AcceptFn on_accept) {
  return listen_sim_stream(fabric_, node_, gate_, local, std::move(on_accept));
}

void SimNetwork::connect(const io::Address& remote, ConnectFn on_connected) {
  connect_sim_stream(fabric_, node_, gate_, alive_, remote, std::move(on_connected));
}

}  // namespace hamirror::netsim
