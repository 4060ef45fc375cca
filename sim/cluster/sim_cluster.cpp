#include "sim/cluster/sim_cluster.h"

#include "io/assert.h"

namespace hamirror::sim {

namespace {
fsim::MemFsOptions disk_options(const SimNodeSpec& spec) {
  fsim::MemFsOptions options;
  options.trace_name = spec.name + ".disk";
  options.enforce_owner_write_bits = spec.daemon_not_root;
  return options;
}
// Gives the node its addresses, then its view of the network.
std::unique_ptr<io::Network> join_world(netsim::World& world, const SimNodeSpec& spec, NodeGate& gate) {
  for (const auto& [network, host] : spec.hosts) world.add_host(spec.name, network, host);
  return world.make_network(spec.name, &gate);
}
}  // namespace

SimNode::SimNode(const SimNodeSpec& spec, Scheduler& scheduler, io::Prng& cluster_prng, netsim::World& world,
                 VipRegistry& vips)
    : name_(spec.name),
      gate_(scheduler, spec.name),
      clock_(scheduler, spec.wall_offset_ns, &gate_),
      random_(cluster_prng.fork()),
      network_(join_world(world, spec, gate_)),
      disk_(scheduler, cluster_prng.fork(), clock_, disk_options(spec)),
      processes_(scheduler, spec.name),
      services_(scheduler, spec.name),
      vip_(vips, spec.name, scheduler),
      io_{clock_, random_, *network_, disk_, processes_, services_, vip_} {
  HM_ASSERT(!spec.hosts.empty());
  disk_.set_gate(&gate_);
  processes_.set_gate(&gate_);
  services_.set_gate(&gate_);
  vip_.set_gate(&gate_);
}

SimCluster::SimCluster(std::uint64_t seed, const netsim::Options& network_options)
    : seed_(seed), scheduler_(trace_), prng_(seed), world_(scheduler_, prng_, network_options), vips_(scheduler_) {}

SimNode& SimCluster::add_node(const SimNodeSpec& spec) {
  HM_ASSERT(!nodes_.contains(spec.name));
  auto node = std::make_unique<SimNode>(spec, scheduler_, prng_, world_, vips_);
  SimNode& added = *node;
  nodes_.emplace(spec.name, std::move(node));
  return added;
}

SimNode& SimCluster::node(const std::string& name) {
  const auto found = nodes_.find(name);
  HM_ASSERT(found != nodes_.end());
  return *found->second;
}

}  // namespace hamirror::sim
