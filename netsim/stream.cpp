// The stream objects a node holds: connection ends and listeners. connect() is in
// connect.cpp.
#include "netsim/stream.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::netsim {

SimStream::SimStream(Fabric& fabric, std::shared_ptr<StreamPair> pair, int side, bool owns_port)
    : fabric_(fabric), pair_(std::move(pair)), side_(side), owns_port_(owns_port) {
  HM_ASSERT(pair_ != nullptr);
  HM_ASSERT(side_ == StreamPair::kConnector || side_ == StreamPair::kAcceptor);
  fabric_.object_opened();
}

SimStream::~SimStream() {
  const io::Address local = pair_->address(side_);
  pair_->destroy(side_);
  if (owns_port_) fabric_.unbind(Protocol::stream, local);
  fabric_.object_closed();
}

SimListener::SimListener(Fabric& fabric, sim::NodeGate* gate, io::Address local, io::Network::AcceptFn on_accept)
    : fabric_(fabric), local_(std::move(local)), on_accept_(std::move(on_accept)), gated_(gate) {
  HM_ASSERT(on_accept_);
  fabric_.add_listener(local_, this);
  fabric_.object_opened();
}

SimListener::~SimListener() {
  // SYNs in flight look the address up on arrival and are refused.
  fabric_.remove_listener(local_);
  fabric_.unbind(Protocol::stream, local_);
  fabric_.object_closed();
}

void SimListener::accept(std::unique_ptr<io::StreamConnection> connection) {
  if (!gated_.holding()) {
    auto on_accept = on_accept_;  // the callback may destroy this listener
    on_accept(std::move(connection));
    return;
  }
  // Held: a std::function must be copyable. Dropped unrun (the listener is gone), the
  // connection is destroyed, and its peer sees the stream end.
  auto kept = std::make_shared<std::unique_ptr<io::StreamConnection>>(std::move(connection));
  gated_.run([this, kept] {
    auto on_accept = on_accept_;
    on_accept(std::move(*kept));
  });
}

io::Result<std::unique_ptr<io::StreamListener>> listen_sim_stream(Fabric& fabric, const std::string& node,
                                                                  sim::NodeGate* gate, const io::Address& local,
                                                                  io::Network::AcceptFn on_accept) {
  HM_ASSERT(on_accept);
  auto bound = fabric.bind(node, Protocol::stream, local);
  if (!bound) return bound.error();
  return std::unique_ptr<io::StreamListener>(std::make_unique<SimListener>(fabric, gate, bound.value(), std::move(on_accept)));
}

}  // namespace hamirror::netsim
