// A scenario: everything one run does, drawn from its seed alone (TigerBeetle's VOPR
// is the model) -- the cluster's options, the clients' workload and the fault mix.
// The same seed always draws the same scenario; a preset replaces the random cluster
// options with a fixed userconfig-like choice (the workload and faults stay random).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/node/role_decision.h"
#include "core/replication/replica.h"

namespace hamirror::sim::runner {

// The userconfig.xml settings a run varies (MIRROR-MODEL.md).
struct ClusterOptions {
  std::int64_t pulse_ms = 100;     // <heart pulse>
  std::int64_t timeout_ms = 1000;  // <heart timeout>
  bool witness = false;            // <splitbrain ident="witness">
  core::DefaultPrim default_prim = core::DefaultPrim::alone;
  std::string default_prim_node;   // with DefaultPrim::node
  bool failover = true;            // <service failover>
  core::AsyncMode async_mode = core::AsyncMode::none;  // <rfs async>
  std::uint64_t extent_bytes = 0;  // dirty-region granularity; 0: the core's default
};

struct WorkloadOptions {
  int clients = 3;
  int files_per_client = 3;
  std::int64_t think_ms_max = 200;  // pause between a client's ops, uniform in [0, max]
  std::uint64_t file_bytes_max = 512 * 1024;
  std::uint64_t write_bytes_min = 1;
  std::uint64_t write_bytes_max = 64 * 1024;  // most writes
  std::uint32_t big_write_one_in = 20;        // then 64 KiB .. 1 MiB (0: never)
  bool log_uniform_sizes = false;             // sizes uniform in log2 rather than in bytes
  // This percent of ops are chmods of a file or of the client's directory, or its
  // mkdir with a mode, or its rmdir (drawn 1..5; 0: none).
  std::uint32_t mode_ops_percent = 0;
};

// The kinds of fault the safety phase injects; the weights of a run are drawn from
// its seed (some kinds off entirely), so runs differ in character, not only in order.
enum class FaultKind : std::uint8_t {
  crash,            // power cut: process gone, unsynced data lost or torn; restarted later
  stop,             // clean stop (hands the role over); started later
  partition_full,   // every network between the nodes
  partition_one_way,
  partition_hb,     // the heartbeat-only network
  partition_flow,   // the replication network (carries a heartbeat too)
  witness_cut,      // one node cannot reach the witness
  witness_down,     // the witness process crashes; restarted later
  link_chaos,       // loss, duplication, reordering, latency spikes on every link
  freeze,           // a VM stall
  disk_eio,         // EIO on one node's reads, writes and syncs
  disk_enospc,      // one node's disk fills up
  admin_swap,
  admin_prim,       // prim on a node that is not primary (refused when it is stale)
  admin_restart,    // stop then start at once
  count
};
constexpr std::size_t kFaultKinds = static_cast<std::size_t>(FaultKind::count);
std::string_view fault_kind_name(FaultKind kind);
std::optional<FaultKind> fault_kind_from_name(std::string_view name);

struct FaultOptions {
  std::int64_t mean_interval_ms = 4000;  // between fault starts
  int max_concurrent = 2;
  std::vector<std::uint32_t> weights = std::vector<std::uint32_t>(kFaultKinds, 1);
};

struct Scenario {
  std::uint64_t seed = 0;
  std::string preset;  // "" when the cluster options were drawn
  ClusterOptions cluster;
  WorkloadOptions workload;
  FaultOptions faults;
};

// Named cluster configurations for --config; draw_scenario with an unknown name fails.
std::vector<std::string> preset_names();
std::string preset_description(const std::string& name);

// The scenario of `seed`. With a preset, its cluster options replace the drawn ones.
std::optional<Scenario> draw_scenario(std::uint64_t seed, const std::string& preset = {});

// One line per part: what this run will do.
std::string describe(const Scenario& scenario);

}  // namespace hamirror::sim::runner
