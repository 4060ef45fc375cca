// A whole simulated cluster in one process: one seed, one scheduler, one trace, one
// network world, one VIP registry, and per node a full io::Io bundle (clock, PRNG,
// network, disk, processes, services, VIP). Protocol code receives a node's io() and
// cannot tell it from production.
//
// A node's disk (MemFs) outlives the protocol objects built on it, so a test can
// crash a node (disk.crash()), drop its objects and build new ones over the same disk.
//
// A node can be frozen (a stopped process, a paused VM, a long GC pause) and thawed:
// while frozen nothing of it runs — every callback its io() would deliver (timers,
// datagrams, stream data and completions, accept and connect, disk, processes,
// services, VIP) is held, and thaw() releases them in order. See sim/node_gate.h.
// A frozen node may also be crashed: its disk drops its held completions, and held
// callbacks of objects destroyed meanwhile never run; thaw it before building the
// new incarnation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fsim/mem_fs.h"
#include "io/io.h"
#include "netsim/world.h"
#include "sim/node_gate.h"
#include "sim/scheduler.h"
#include "sim/sim_clock.h"
#include "sim/sim_process.h"
#include "sim/sim_vip.h"
#include "sim/trace.h"

namespace hamirror::sim {

struct SimNodeSpec {
  std::string name;
  // (network name, host) pairs: the node's address on each network.
  std::vector<std::pair<std::string, std::string>> hosts;
  std::int64_t wall_offset_ns = 0;  // this node's calendar clock error
  // The daemon runs as a user, not root: its disk enforces the owner's write bits
  // (fsim::MemFsOptions::enforce_owner_write_bits), as Windows always does.
  bool daemon_not_root = false;
};

class SimNode {
 public:
  SimNode(const SimNodeSpec& spec, Scheduler& scheduler, io::Prng& cluster_prng, netsim::World& world,
          VipRegistry& vips);
  SimNode(const SimNode&) = delete;
  SimNode& operator=(const SimNode&) = delete;

  const std::string& name() const { return name_; }
  io::Io& io() { return io_; }
  fsim::MemFs& disk() { return disk_; }
  SimProcesses& processes() { return processes_; }
  SimServices& services() { return services_; }
  SimVirtualIp& vip() { return vip_; }

  // Nothing of the node runs from freeze() to thaw(); time goes on. Recorded in the
  // trace. Freezing a frozen node or thawing a running one is asserted against.
  void freeze() { gate_.freeze(); }
  void thaw() { gate_.thaw(); }
  bool frozen() const { return gate_.frozen(); }
  NodeGate& gate() { return gate_; }

 private:
  std::string name_;
  NodeGate gate_;  // first: everything below hands it callbacks, and it outlives them
  SimClock clock_;
  io::Prng random_;
  std::unique_ptr<io::Network> network_;
  fsim::MemFs disk_;
  SimProcesses processes_;
  SimServices services_;
  SimVirtualIp vip_;
  io::Io io_;
};

class SimCluster {
 public:
  explicit SimCluster(std::uint64_t seed, const netsim::Options& network_options = {});
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  SimNode& add_node(const SimNodeSpec& spec);
  SimNode& node(const std::string& name);

  std::uint64_t seed() const { return seed_; }
  Trace& trace() { return trace_; }
  Scheduler& scheduler() { return scheduler_; }
  io::Prng& prng() { return prng_; }
  netsim::World& world() { return world_; }
  VipRegistry& vips() { return vips_; }

 private:
  std::uint64_t seed_;
  Trace trace_;
  Scheduler scheduler_;
  io::Prng prng_;
  netsim::World world_;
  VipRegistry vips_;
  std::map<std::string, std::unique_ptr<SimNode>> nodes_;
};

}  // namespace hamirror::sim
