// Simulated TCP as the seam sees it: a connection object per end (SimStream), the
// listener, and connect(). The connection's behaviour lives in stream_pair.h.
//
// connect(): a SYN takes one latency to the listener's host; a listener there accepts
// at once (its on_accept runs then), and the connector's on_connected runs one
// latency later. No listener: connection_refused, one latency after the call. A cut
// between the nodes on that network: the SYN is retried every kConnectRetryNs until
// Options::connect_timeout_ns, then timed_out. An unknown host, or one on a network
// the node is not on: unreachable, from the next event. The connector's local
// address is its host on the listener's network, with an ephemeral port.
//
// A frozen node's on_accept and on_connected wait for the thaw (the handshake itself
// completes on time, in the kernel); if the listener or the Network is gone by then,
// the new connection is closed instead.
#pragma once

#include <memory>
#include <string>

#include "io/network.h"
#include "netsim/fabric.h"
#include "netsim/stream_pair.h"
#include "sim/node_gate.h"

namespace hamirror::netsim {

// TCP's initial SYN retransmission timeout.
constexpr std::int64_t kConnectRetryNs = 1 * io::kNsPerS;

class SimStream final : public io::StreamConnection {
 public:
  // owns_port: the connector's end holds its ephemeral port until destroyed.
  SimStream(Fabric& fabric, std::shared_ptr<StreamPair> pair, int side, bool owns_port);
  ~SimStream() override;

  void set_handlers(DataFn on_data, CloseFn on_close) override {
    pair_->set_handlers(side_, std::move(on_data), nullptr, std::move(on_close));
  }
  // Chunks are slices of the writer's own buffers.
  bool set_shared_handlers(SharedDataFn on_data, CloseFn on_close) override {
    pair_->set_handlers(side_, nullptr, std::move(on_data), std::move(on_close));
    return true;
  }
  io::Error write(io::ByteView bytes, WriteDoneFn on_done) override {
    if (const io::Error refused = pair_->refusal(side_); refused != io::Error::ok) return refused;  // spare the copy
    return pair_->write(side_, io::Bytes(bytes.begin(), bytes.end()), {}, std::move(on_done));
  }
  io::Error write_owned(io::Bytes& bytes, WriteDoneFn on_done) override {
    // Refused writes leave the caller's buffer alone, as the contract asks.
    if (const io::Error refused = pair_->refusal(side_); refused != io::Error::ok) return refused;
    return pair_->write(side_, std::move(bytes), {}, std::move(on_done));
  }
  // The tail is kept by reference until its last chunk has been delivered.
  io::Error write_gather(io::Bytes& head, io::SharedBytes tail, WriteDoneFn on_done) override {
    if (const io::Error refused = pair_->refusal(side_); refused != io::Error::ok) return refused;
    return pair_->write(side_, std::move(head), std::move(tail), std::move(on_done));
  }
  std::size_t pending_write_bytes() const override { return pair_->pending_write_bytes(side_); }
  void pause_reading() override { pair_->pause_reading(side_); }
  void resume_reading() override { pair_->resume_reading(side_); }
  void close() override { pair_->close(side_); }
  io::Address local_address() const override { return pair_->address(side_); }
  io::Address remote_address() const override { return pair_->address(1 - side_); }

 private:
  Fabric& fabric_;
  std::shared_ptr<StreamPair> pair_;
  int side_;
  bool owns_port_;
};

class SimListener final : public io::StreamListener {
 public:
  SimListener(Fabric& fabric, sim::NodeGate* gate, io::Address local, io::Network::AcceptFn on_accept);
  ~SimListener() override;

  io::Address local_address() const override { return local_; }
  sim::NodeGate* gate() const { return gated_.gate(); }
  // Hands a new connection to the owner (at once, or after the thaw); called from a
  // scheduler event.
  void accept(std::unique_ptr<io::StreamConnection> connection);

 private:
  Fabric& fabric_;
  io::Address local_;
  io::Network::AcceptFn on_accept_;
  sim::GatedCallbacks gated_;
};

io::Result<std::unique_ptr<io::StreamListener>> listen_sim_stream(Fabric& fabric, const std::string& node,
                                                                  sim::NodeGate* gate, const io::Address& local,
                                                                  io::Network::AcceptFn on_accept);
// `owner` expires with the node's Network: on_connected no longer runs after that.
// on_connected goes through `gate` (null: never frozen).
void connect_sim_stream(Fabric& fabric, const std::string& node, sim::NodeGate* gate, std::weak_ptr<const int> owner,
                        const io::Address& remote, io::Network::ConnectFn on_connected);

}  // namespace hamirror::netsim
