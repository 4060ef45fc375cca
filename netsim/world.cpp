#include "netsim/world.h"

#include "io/assert.h"
#include "netsim/fabric.h"
#include "netsim/sim_network.h"

namespace hamirror::netsim {

World::World(sim::Scheduler& scheduler, io::Prng& prng, const Options& options)
    : fabric_(std::make_unique<Fabric>(scheduler, prng, options)) {}

World::~World() {
  // Each of them calls into the fabric when destroyed; destroy them first.
  HM_ASSERT(fabric_->live_objects() == 0);
}

void World::add_host(const std::string& node, const std::string& network, const std::string& host) {
  fabric_->add_host(node, network, host);
  fabric_->record("host " + host + " = " + node + " on " + network);
}

std::unique_ptr<io::Network> World::make_network(const std::string& node, sim::NodeGate* gate) {
  return std::make_unique<SimNetwork>(*fabric_, node, gate);
}

void World::set_default_link(const LinkOptions& options) { fabric_->links().set_default(options); }

void World::set_network_link(const std::string& network, const LinkOptions& options) {
  fabric_->links().set_network(network, options);
}

void World::set_host_link(const std::string& from_host, const std::string& to_host, const LinkOptions& options) {
  fabric_->links().set_pair(from_host, to_host, options);
}

void World::partition(const std::string& a, const std::string& b, Direction direction, const std::string& network) {
  HM_ASSERT(fabric_->has_node(a) && fabric_->has_node(b));
  fabric_->partitions().cut(a, b, network);
  if (direction == Direction::both) fabric_->partitions().cut(b, a, network);
  const char* arrow = direction == Direction::both ? "<>" : ">";
  partitions_changed("partition " + a + arrow + b + (network.empty() ? "" : " on " + network));
}

void World::heal(const std::string& a, const std::string& b, const std::string& network) {
  fabric_->partitions().heal(a, b, network);
  partitions_changed("heal " + a + "<>" + b + (network.empty() ? "" : " on " + network));
}

void World::heal_all() {
  fabric_->partitions().heal_all();
  partitions_changed("heal all");
}

bool World::partitioned(const std::string& from, const std::string& to, const std::string& network) const {
  return fabric_->partitions().blocks(from, to, network);
}

void World::set_delivery_observer(DeliveryObserver observer) { fabric_->set_delivery_observer(std::move(observer)); }

const Counters& World::counters() const { return fabric_->counters(); }

const Options& World::options() const { return fabric_->options(); }

void World::partitions_changed(const std::string& what) {
  fabric_->record(what);
  fabric_->partitions_changed();
}

}  // namespace hamirror::netsim
