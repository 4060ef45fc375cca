#include "sim/runner/scenario.h"

#include <map>

#include "io/assert.h"
#include "io/random.h"

namespace hamirror::sim::runner {

std::string_view fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::crash: return "crash";
    case FaultKind::stop: return "stop";
    case FaultKind::partition_full: return "partition_full";
    case FaultKind::partition_one_way: return "partition_one_way";
    case FaultKind::partition_hb: return "partition_hb";
    case FaultKind::partition_flow: return "partition_flow";
    case FaultKind::witness_cut: return "witness_cut";
    case FaultKind::witness_down: return "witness_down";
    case FaultKind::link_chaos: return "link_chaos";
    case FaultKind::freeze: return "freeze";
    case FaultKind::disk_eio: return "disk_eio";
    case FaultKind::disk_enospc: return "disk_enospc";
    case FaultKind::admin_swap: return "admin_swap";
    case FaultKind::admin_prim: return "admin_prim";
    case FaultKind::admin_restart: return "admin_restart";
    case FaultKind::count: break;
  }
  return "unknown";
}

std::optional<FaultKind> fault_kind_from_name(std::string_view name) {
  for (std::size_t k = 0; k < kFaultKinds; ++k) {
    if (fault_kind_name(static_cast<FaultKind>(k)) == name) return static_cast<FaultKind>(k);
  }
  return std::nullopt;
}

namespace {

// Random cluster options. A witness needs a heartbeat timeout above its lease term
// (10 s): the secondary must not give up on its primary before the lease it held can
// have run out.
ClusterOptions draw_cluster(io::Prng& rng) {
  ClusterOptions c;
  c.witness = rng.chance(1, 2);
  if (c.witness) {
    c.pulse_ms = rng.between(200, 1000);
    c.timeout_ms = rng.between(12, 20) * 1000;
  } else {
    c.pulse_ms = rng.between(50, 700);
    c.timeout_ms = c.pulse_ms * rng.between(4, 15);
  }
  switch (rng.below(4)) {
    case 0: c.default_prim = core::DefaultPrim::node; c.default_prim_node = rng.chance(1, 2) ? "node1" : "node2"; break;
    case 1: c.default_prim = core::DefaultPrim::lastprim; break;
    default: c.default_prim = core::DefaultPrim::alone; break;
  }
  c.failover = !rng.chance(1, 8);
  c.async_mode = rng.chance(1, 3) ? core::AsyncMode::second : core::AsyncMode::none;
  const std::uint64_t extents[] = {0, 64 * 1024, 1024 * 1024};
  c.extent_bytes = extents[rng.below(3)];
  return c;
}

WorkloadOptions draw_workload(io::Prng& rng) {
  WorkloadOptions w;
  w.clients = static_cast<int>(rng.between(1, 5));
  w.files_per_client = static_cast<int>(rng.between(1, 4));
  w.think_ms_max = rng.between(20, 400);
  w.file_bytes_max = std::uint64_t{64 * 1024} << rng.below(5);  // 64 KiB .. 1 MiB
  w.write_bytes_max = std::uint64_t{1024} << rng.below(7);      // 1 KiB .. 64 KiB
  return w;
}

FaultOptions draw_faults(io::Prng& rng, const ClusterOptions& cluster) {
  FaultOptions f;
  f.mean_interval_ms = rng.between(1000, 8000);
  f.max_concurrent = static_cast<int>(rng.between(1, 3));
  for (auto& weight : f.weights) weight = rng.chance(1, 5) ? 0 : static_cast<std::uint32_t>(rng.between(1, 10));
  if (!cluster.witness) {
    f.weights[static_cast<std::size_t>(FaultKind::witness_cut)] = 0;
    f.weights[static_cast<std::size_t>(FaultKind::witness_down)] = 0;
  }
  std::uint32_t total = 0;
  for (const auto weight : f.weights) total += weight;
  if (total == 0) f.weights[static_cast<std::size_t>(FaultKind::crash)] = 1;
  return f;
}

struct Preset {
  std::string description;
  ClusterOptions cluster;
};

const std::map<std::string, Preset>& presets() {
  static const std::map<std::string, Preset> table = {
      {"safekit-default",
       {"SafeKit's defaults: pulse 700 ms, timeout 30 s, no witness, defaultprim alone, failover on, async none",
        ClusterOptions{.pulse_ms = 700, .timeout_ms = 30000}}},
      {"fast",
       {"a LAN tuned for fast failover: pulse 100 ms, timeout 1 s, no witness",
        ClusterOptions{.pulse_ms = 100, .timeout_ms = 1000}}},
      {"witness",
       {"a witness on a third machine: pulse 500 ms, timeout 15 s",
        ClusterOptions{.pulse_ms = 500, .timeout_ms = 15000, .witness = true}}},
      {"async-second",
       {"async=\"second\": the secondary acknowledges on receipt; pulse 200 ms, timeout 2 s",
        ClusterOptions{.pulse_ms = 200, .timeout_ms = 2000, .async_mode = core::AsyncMode::second}}},
      {"failover-off",
       {"failover=\"off\": only the admin promotes the secondary; pulse 100 ms, timeout 1 s",
        ClusterOptions{.pulse_ms = 100, .timeout_ms = 1000, .failover = false}}},
      {"defaultprim-node2",
       {"defaultprim=\"node2\": roles go back to node2 after each reintegration; pulse 100 ms, timeout 1 s",
        ClusterOptions{.pulse_ms = 100, .timeout_ms = 1000, .default_prim = core::DefaultPrim::node,
                       .default_prim_node = "node2"}}},
  };
  return table;
}

}  // namespace

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& [name, preset] : presets()) names.push_back(name);
  return names;
}

std::string preset_description(const std::string& name) {
  const auto found = presets().find(name);
  return found == presets().end() ? std::string{} : found->second.description;
}

std::optional<Scenario> draw_scenario(std::uint64_t seed, const std::string& preset) {
  // A stream of its own: the cluster's PRNG (seeded with `seed` too) draws the
  // simulation's numbers; this one only the scenario's.
  io::Prng rng(seed ^ 0x5CE7A210C0FFEEULL);
  Scenario s;
  s.seed = seed;
  s.cluster = draw_cluster(rng);
  if (!preset.empty()) {
    const auto found = presets().find(preset);
    if (found == presets().end()) return std::nullopt;
    s.preset = preset;
    s.cluster = found->second.cluster;
  }
  s.workload = draw_workload(rng);
  s.faults = draw_faults(rng, s.cluster);
  // Last, so that every earlier draw is what it was before mode ops existed.
  s.workload.mode_ops_percent = static_cast<std::uint32_t>(rng.between(1, 5));
  return s;
}

std::string describe(const Scenario& s) {
  const ClusterOptions& c = s.cluster;
  std::string text = "cluster" + (s.preset.empty() ? std::string{} : " (preset " + s.preset + ")") +
                     ": pulse " + std::to_string(c.pulse_ms) + " ms, timeout " + std::to_string(c.timeout_ms) + " ms, " +
                     (c.witness ? "witness" : "no witness") + ", defaultprim " +
                     (c.default_prim == core::DefaultPrim::node ? c.default_prim_node
                      : c.default_prim == core::DefaultPrim::lastprim ? "lastprim" : "alone") +
                     ", failover " + (c.failover ? "on" : "off") + ", async " +
                     (c.async_mode == core::AsyncMode::second ? "second" : "none") + ", extent " +
                     (c.extent_bytes == 0 ? "default" : std::to_string(c.extent_bytes / 1024) + " KiB") + "\n";
  const WorkloadOptions& w = s.workload;
  text += "workload: " + std::to_string(w.clients) + " clients x " + std::to_string(w.files_per_client) +
          " files, think <= " + std::to_string(w.think_ms_max) + " ms, files <= " +
          std::to_string(w.file_bytes_max / 1024) + " KiB, writes <= " + std::to_string(w.write_bytes_max / 1024) +
          " KiB (1 in 20 up to 1 MiB), mode ops " + std::to_string(w.mode_ops_percent) + "%\n";
  text += "faults: every ~" + std::to_string(s.faults.mean_interval_ms) + " ms, <= " +
          std::to_string(s.faults.max_concurrent) + " at once, weights";
  for (std::size_t k = 0; k < kFaultKinds; ++k) {
    if (s.faults.weights[k] == 0) continue;
    text += " " + std::string(fault_kind_name(static_cast<FaultKind>(k))) + "=" + std::to_string(s.faults.weights[k]);
  }
  return text + "\n";
}

}  // namespace hamirror::sim::runner
