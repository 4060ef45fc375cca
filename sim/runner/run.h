// One fault-injection run of a two-node cluster (plus a witness when the scenario has
// one), all in one deterministic process: the scenario drawn from the seed, simulated
// clients writing verifiable data, a safety phase with faults, then a liveness phase
// in which the faults stop and the runner acts as the admin until the cluster must
// have converged. Invariants are judged from the outside (the clients' acknowledgement
// record, the simulated disks, the VIP registry, simulated time); the first violation
// ends the run.
//
// The invariants, by the names reports use:
// - no_acknowledged_write_lost: whenever a node starts acknowledging after the other
//   did (a failover, a swap, an admin prim), and at the end, its replicated directory
//   holds every acknowledged op, or a later acknowledged overwrite. Allowed losses:
//   after both nodes failed (the acknowledging one crashed while its peer was not a
//   synchronised secondary), what no acknowledged fsync covered; without a witness,
//   what the losing side of a reported split brain acknowledged (counted in
//   RunStats::split_brain_lost_acks).
// - stale_never_promoted: as above, when the missing ops were acknowledged while the
//   new primary was down (crashed, stopped or frozen): a stale node served.
// - single_primary: with a witness, the VIP never held by two nodes at once (a frozen
//   node's stale hold excepted: it is reported, see RunStats::frozen_vip_overlaps) and
//   the acknowledging node never flip-flops within kFlipFlopWindowNs; without a
//   witness, a flip-flop (both acknowledging) must be followed by a reported split
//   brain, and two VIP holders are counted (both sides of a cut may go ALONE).
// - convergence: after the liveness phase, one PRIM and one synchronised SECOND,
//   byte-identical replicated trees, the VIP on the primary only, every client op
//   answered, and a new write acknowledged and replicated.
// - livelock: a run never needs more than kMaxEventsPerRun scheduler events (a
//   reconnect or message storm that makes no progress is a bug, and would stall CI).
// - determinism is checked by running a seed twice (RunResult::trace_hash).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/canary.h"
#include "sim/runner/fault_schedule.h"
#include "sim/runner/scenario.h"

namespace hamirror::sim::runner {

// Planted bugs, to prove the checks can fail. The checks never read which one is
// planted: they must find it from the oracle, the disks, the VIP registry and time.
enum class Canary : std::uint8_t {
  none,
  // Outside runtime/core:
  secondary_drops_writes,  // node2's disk acknowledges some writes into the replicated directory without doing them
  oracle_forgets_ack,      // the oracle records an acknowledgement for a write no node ever saw
  fsync_lies,              // node2's fsyncs succeed without making anything durable
  // Inside runtime/core, on both nodes (core/canary.h, the ProtocolCanary of the same name):
  ack_before_peer_ack,
  skip_persisting_dirty_regions,
  promote_stale_node,
  ignore_witness,
  fsync_without_peer_fsync,
  apply_out_of_order,
  alone_without_outdated_confirmation,
  no_activity_record_while_prim,
  resync_block_over_live_write,
};
// Every canary but none, in declaration order.
inline constexpr Canary kCanaries[] = {
    Canary::secondary_drops_writes,   Canary::oracle_forgets_ack,
    Canary::fsync_lies,               Canary::ack_before_peer_ack,
    Canary::skip_persisting_dirty_regions, Canary::promote_stale_node,
    Canary::ignore_witness,           Canary::fsync_without_peer_fsync,
    Canary::apply_out_of_order,       Canary::alone_without_outdated_confirmation,
    Canary::no_activity_record_while_prim, Canary::resync_block_over_live_write,
};
std::string_view canary_name(Canary canary);
std::optional<Canary> canary_from_name(std::string_view name);
// The core's switch for a canary planted in runtime/core; ProtocolCanary::none otherwise.
core::ProtocolCanary protocol_canary_of(Canary canary);

struct RunOptions {
  std::uint64_t seed = 1;
  std::string preset;               // "" : draw the cluster options
  std::int64_t duration_s = 60;     // the safety phase, simulated
  std::int64_t liveness_budget_s = 180;
  Canary canary = Canary::none;
  bool echo_trace = false;          // print every trace line as it happens (--trace)
  bool faults = true;               // false: the safety phase injects nothing (benchmarks)
  std::optional<WorkloadOptions> workload;  // replaces the drawn workload
  std::vector<FaultKind> without;  // fault kinds never injected (to tell findings apart)
  // false: the workload issues no chmod, mkdir or rmdir (WorkloadOptions::mode_ops_percent
  // 0): a seed's run is then the one it was before they existed (older regressions).
  bool mode_ops = true;
  // Injects exactly these faults instead of drawing them (fault_schedule.h); the
  // cluster and workload still come from the seed or the preset.
  std::optional<FaultSchedule> schedule;
  // With a witness: the data generation its state file already records at the start,
  // as if kept from an earlier installation of the cluster (no copy descends from
  // it, so only primforce takes the lease); 0, a fresh witness.
  std::uint64_t witness_recorded_generation = 0;
};

struct Violation {
  std::string invariant;
  std::string detail;
  std::int64_t at_ns = 0;
};

struct RunStats {
  std::array<std::uint64_t, kFaultKinds> faults{};
  std::uint64_t ops_submitted = 0;
  std::uint64_t ops_acknowledged = 0;
  std::uint64_t writes_acknowledged = 0;
  std::uint64_t failovers = 0;         // a secondary took over (SECOND -> ALONE)
  std::uint64_t primary_changes = 0;   // the acknowledging node changed
  std::uint64_t reintegrations_fast = 0;
  std::uint64_t reintegrations_full = 0;
  std::uint64_t divergences = 0;       // split brains reported by the nodes
  std::uint64_t split_brain_lost_acks = 0;
  std::uint64_t double_failures = 0;
  std::uint64_t unsynced_acks_demoted = 0;
  std::uint64_t frozen_vip_overlaps = 0;
  std::uint64_t vip_overlaps_without_witness = 0;  // both sides of a partition went ALONE
  std::uint64_t admin_prims_refused = 0;
  std::uint64_t events = 0;
  std::int64_t simulated_ns = 0;
  std::int64_t converged_after_ns = -1;  // liveness phase: time to converge

  void add(const RunStats& other);
};

struct RunResult {
  std::uint64_t seed = 0;
  std::uint64_t trace_hash = 0;
  Scenario scenario;
  std::optional<Violation> violation;
  RunStats stats;
  std::vector<std::string> last_events;  // the trace's recent lines, on a violation
  FaultSchedule faults_injected;          // what the safety phase injected, in order
  double wall_s = 0;                      // measured by the caller (no clock in here)
};

// Runs one seed. Self-contained: nothing is shared between two calls, so calls may run
// on different threads at once. nullopt when the preset is unknown.
std::optional<RunResult> run_seed(const RunOptions& options);

// The command that replays a run exactly: "hamirror-chaos --seed 7 --duration 60 ...".
std::string replay_command(const RunOptions& options);

}  // namespace hamirror::sim::runner
