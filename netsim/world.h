// The simulated network of a whole cluster, inside one deterministic process.
//
// A World holds the nodes' addresses, the links between them with their fault
// options (options.h), and the partitions in force. Each node gets its own
// io::Network from make_network(); protocol code cannot tell it from libuv's. Nothing
// touches a real network: hosts are just strings ("node1.hb", "10.0.0.1").
//
// Determinism: every callback runs from a sim::Scheduler event, never inside the call
// that caused it; every random choice comes from one PRNG stream forked from the
// run's; no unordered container is iterated. Every delivery (with its payload) and
// every fault decision is folded into the scheduler's trace, so the same seed gives
// the same trace hash on every platform.
//
// Lifetime: the World must outlive every network, endpoint, listener and connection
// it made (it asserts so). Events still queued when it is destroyed do nothing.
//
// A frozen node (sim/node_gate.h): a network made with the node's NodeGate hands
// every callback for the node (datagram received, accept, connect result, stream
// data, close, write completion) to the gate, which holds them while the node is
// frozen. The wire goes on: datagrams land in the endpoint's receive buffer (up to
// kMaxHeldDatagrams each; more are dropped, as a full socket buffer drops them), a
// stream's bytes wait unread in the frozen end's buffer, whose window then stops the
// sender as a real TCP window does (the stream does not break for it), and the
// node's own writes keep leaving. A stream's unread data is one held "readable"
// callback, taken at the first arrival, that reads all there is when its turn comes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "io/network.h"
#include "io/random.h"
#include "netsim/counters.h"
#include "netsim/options.h"
#include "sim/node_gate.h"
#include "sim/scheduler.h"

namespace hamirror::netsim {

class Fabric;

// Told of every datagram handed to a receiver (World::set_delivery_observer).
using DeliveryObserver =
    std::function<void(const std::string& from_node, const std::string& to_node, std::uint16_t to_port)>;

class World {
 public:
  // Forks its own stream from `prng`, so adding network traffic does not change the
  // numbers the rest of the simulation draws.
  World(sim::Scheduler& scheduler, io::Prng& prng, const Options& options = {});
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Gives `node` the address `host` on the named network. A host belongs to one node.
  // Nodes reach each other only through hosts on the same network.
  void add_host(const std::string& node, const std::string& network, const std::string& host);
  // The node's io::Network (a SimNetwork). The node must have a host already.
  // Callbacks go through `gate` (null: never frozen), which must outlive the network
  // and everything made from it.
  std::unique_ptr<io::Network> make_network(const std::string& node, sim::NodeGate* gate = nullptr);

  // Link options: the most specific setting wins (host pair, then network, then
  // default). Changes apply to messages sent afterwards.
  void set_default_link(const LinkOptions& options);
  void set_network_link(const std::string& network, const LinkOptions& options);
  void set_host_link(const std::string& from_host, const std::string& to_host, const LinkOptions& options);

  // Cuts traffic between nodes a and b: both ways, or one_way (a's traffic to b only).
  // An empty network cuts every network they share; a name cuts only that one.
  void partition(const std::string& a, const std::string& b, Direction direction = Direction::both,
                 const std::string& network = {});
  // Removes the cuts between a and b in both directions: all of them with an empty
  // network, else only those made for that network.
  void heal(const std::string& a, const std::string& b, const std::string& network = {});
  void heal_all();
  // True when traffic from node `from` to node `to` on `network` is cut.
  bool partitioned(const std::string& from, const std::string& to, const std::string& network) const;

  // Calls `observer` for every datagram handed to a receiver (a frozen node's buffer
  // included), after the delivery. For checkers that judge who could hear whom; it
  // must not send, schedule or draw anything, so that observing leaves the trace as it was.
  void set_delivery_observer(DeliveryObserver observer);

  const Counters& counters() const;
  // The options the World was built with (set_*_link changes apply on top of them).
  const Options& options() const;

 private:
  void partitions_changed(const std::string& what);

  std::unique_ptr<Fabric> fabric_;
};

}  // namespace hamirror::netsim
