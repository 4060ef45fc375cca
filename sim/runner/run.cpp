// The run: the cluster, its nodes and witness, and the two phases (see run.h).
#include "sim/runner/run.h"

#include <utility>

#include "io/assert.h"
#include "sim/runner/canary_fs.h"
#include "sim/runner/payload.h"
#include "sim/runner/run_impl.h"

namespace hamirror::sim::runner {

namespace {

struct Addresses {
  const char* hb;
  const char* flow;
};
Addresses addresses_of(const std::string& name) {
  return name == "node1" ? Addresses{"192.168.1.1", "10.1.0.1"} : Addresses{"192.168.1.2", "10.1.0.2"};
}

netsim::Options network_options() {
  netsim::Options options;
  options.stream_break_timeout_ns = 2 * io::kNsPerS;
  return options;
}

}  // namespace

Run::Run(const Scenario& scenario, const RunOptions& options)
    : scenario_(scenario),
      options_(options),
      cluster_(scenario.seed, network_options()),
      workload_rng_(scenario.seed ^ 0xC11E475ULL),
      fault_rng_(scenario.seed ^ 0xFA0175ULL) {
  cluster_.trace().set_echo(options.echo_trace);
  // Payloads are slices of the pool: hashing them by position costs nothing per byte.
  cluster_.trace().fold_by_position_within(pool_bytes());
}

Run::~Run() {
  // Protocol objects go before the cluster whose io they use.
  for (auto& [name, slot] : slots_) {
    slot.node.reset();
    slot.io.reset();
    slot.canary_fs.reset();
    slot.faulty.reset();
    slot.capacity.reset();
  }
  witness_.reset();
}

void Run::note(const std::string& line) { cluster_.trace().record(cluster_.scheduler().now_ns(), "runner", line); }

core::NodeConfig Run::config_for(const std::string& name) const {
  const std::string peer = name == "node1" ? "node2" : "node1";
  const Addresses mine = addresses_of(name);
  const Addresses theirs = addresses_of(peer);
  const ClusterOptions& c = scenario_.cluster;
  core::NodeConfig config{
      .name = name,
      .peer = peer,
      .heartbeat_networks = {{"hb", {mine.hb, kHeartbeatPort}, {theirs.hb, kHeartbeatPort}},
                             {"flow", {mine.flow, kHeartbeatPort}, {theirs.flow, kHeartbeatPort}}},
      .pulse_ms = c.pulse_ms,
      .timeout_ms = c.timeout_ms,
      .replication_local = {mine.flow, kReplicationPort},
      .replication_peer = {theirs.flow, kReplicationPort},
      .roots = {kRoot},
      .state_dir = kStateDir,
      .async_mode = c.async_mode,
      .policy = core::ClusterPolicy{.default_prim = c.default_prim, .default_prim_node = c.default_prim_node,
                                    .failover = c.failover},
      .vip = io::VipSpec{kVip, 24, ""},
      .application = core::ApplicationConfig{.start_prim = "start_prim", .stop_prim = "stop_prim",
                                             .start_timeout_ms = 5000, .nice_stop_timeout_ms = 5000,
                                             .force_stop_timeout_ms = 5000},
  };
  if (c.extent_bytes != 0) config.activity.activity.extent_bytes = c.extent_bytes;
  if (c.witness) config.witness = core::NodeWitness{{mine.hb, kLeasePort}, {kWitnessHost, kLeasePort}};
  return config;
}

void Run::build_cluster() {
  cluster_.world().set_delivery_observer(
      [this](const std::string& from, const std::string& to, std::uint16_t port) { on_datagram_delivered(from, to, port); });
  for (const std::string name : {"node1", "node2"}) {
    const Addresses a = addresses_of(name);
    SimNode& machine = cluster_.add_node({.name = name, .hosts = {{"hb", a.hb}, {"flow", a.flow}}});
    machine.disk().install_directory(kRoot);
    machine.disk().install_directory(kStateDir);
    auto& processes = machine.processes();
    processes.script("start_prim", [&processes](const io::ProcessSpec&) {
      processes.start_process("appd");
      return ScriptedRun{.duration_ns = 100 * io::kNsPerMs, .output = "appd started"};
    });
    processes.script("stop_prim", [&processes](const io::ProcessSpec&) {
      processes.kill_by_name("appd");
      return ScriptedRun{.duration_ns = 100 * io::kNsPerMs};
    });
    NodeSlot& slot = slots_[name];
    slot.name = name;
    slot.peer = name == "node1" ? "node2" : "node1";
    slot.silence = PeerSilence(long_silence_ns(scenario_.cluster.timeout_ms));
  }
  if (scenario_.cluster.witness) {
    SimNode& machine = cluster_.add_node({.name = "witness", .hosts = {{"hb", kWitnessHost}}});
    machine.disk().install_directory("/var/lib/witness");
    if (options_.witness_recorded_generation != 0) {
      const std::string state =
          core::witness::encode_witness_state({.epoch = 1, .data_generation = options_.witness_recorded_generation});
      machine.disk().install_file(kWitnessStatePath, io::as_bytes(state));
    }
    start_witness();
  }
}

void Run::start_witness() {
  SimNode& machine = cluster_.node("witness");
  witness_ = std::make_unique<core::witness::WitnessServer>(
      machine.io(),
      core::witness::WitnessConfig{{kWitnessHost, kLeasePort}, {"node1", "node2"}, kWitnessStatePath},
      core::witness::WitnessServer::Listener{
          .on_grant = [this](const std::string& holder, std::uint64_t epoch, const std::string& reason) {
            note("witness: lease to " + holder + " (epoch " + std::to_string(epoch) + "): " + reason);
          },
          .on_problem = [this](const std::string& problem) { note("witness: " + problem); }});
  HM_ASSERT(witness_->start() == io::Error::ok);
}

// A new incarnation of the node process over its machine's disk: the fault layers
// (CapacityFs, FaultyFs, the canary's) stacked fresh, then the Node, started.
void Run::start_node(NodeSlot& slot) {
  SimNode& machine = cluster_.node(slot.name);
  HM_ASSERT(!machine.frozen());
  ++slot.incarnation;
  slot.silence.came_up(cluster_.scheduler().now_ns());
  slot.capacity = std::make_unique<fsim::CapacityFs>(machine.disk(), cluster_.scheduler(),
                                                     fsim::CapacityFsOptions{.trace_name = slot.name + ".capacity"});
  slot.faulty = std::make_unique<fsim::FaultyFs>(*slot.capacity, cluster_.scheduler(), fault_rng_.fork(),
                                                 fsim::FaultyFsOptions{.trace_name = slot.name + ".faulty"});
  slot.faulty->set_gate(&machine.gate());
  slot.faulty->set_injection_listener([this, &slot](fsim::FaultKind kind, io::Error) {
    if (kind == fsim::FaultKind::fsync || kind == fsim::FaultKind::fsync_dir) on_sync_failed(slot);
    if (kind == fsim::FaultKind::write) slot.write_failed = true;
  });
  io::FileSystem* fs = slot.faulty.get();
  if (slot.name == "node2" && planted_in_the_disk(options_.canary)) {
    slot.canary_fs = make_canary_fs(options_.canary, *fs, cluster_.scheduler(), kRoot);
    fs = slot.canary_fs.get();
  }
  io::Io& base = machine.io();
  slot.io = std::make_unique<io::Io>(io::Io{base.clock, base.random, base.network, *fs, base.processes, base.services, base.vip});
  const std::string name = slot.name;
  slot.node = std::make_unique<core::Node>(
      *slot.io, config_for(name),
      core::Node::Listener{
          .on_state_change = [this, name](core::NodeState from, core::NodeState to, const std::string&) {
            on_state_change(name, from, to);
          },
          .on_log = [this](const std::string& line) { on_log(line); },
          .on_split_brain = [this](const std::string&) { on_split_brain(); }});
  mark_absent(slot, false);
  slot.node->start();
}

void Run::mark_absent(NodeSlot& slot, bool absent) {
  const std::int64_t now = cluster_.scheduler().now_ns();
  if (absent && slot.absent_since < 0) slot.absent_since = now;
  if (!absent && slot.absent_since >= 0) {
    slot.absent.emplace_back(slot.absent_since, now);
    slot.absent_since = -1;
  }
}

// Starts a stopped node process. Whoever starts it, it hears its peer from now on: a
// stop fault that joined an admin's restart under way (seed 60003) found the node
// running again at its end, and the silence it had begun never ended, so every
// heartbeat after was ignored and a partition later was taken for no silence at all.
void Run::start_stopped(NodeSlot& slot) {
  mark_absent(slot, false);
  slot.silence.came_up(cluster_.scheduler().now_ns());
  slot.node->start();
}

void Run::on_datagram_delivered(const std::string& from, const std::string& to, std::uint16_t port) {
  if (port != kHeartbeatPort || !slots_.contains(to) || slot(to).peer != from) return;
  slot(to).silence.heard(cluster_.scheduler().now_ns());
}

bool Run::usable(const std::string& name) {
  NodeSlot& s = slot(name);
  return s.node != nullptr && !cluster_.node(name).frozen();
}

void Run::on_state_change(const std::string& name, core::NodeState from, core::NodeState to) {
  if (from == core::NodeState::second && to == core::NodeState::alone) ++stats_.failovers;
  if (to == core::NodeState::second && !resolved_winner_.empty() && name != resolved_winner_) loser_reintegrated_ = true;
}

void Run::on_split_brain() {
  const std::int64_t now = cluster_.scheduler().now_ns();
  if (split_brain_reports_ns_.empty() || now - split_brain_reports_ns_.back() > 10 * io::kNsPerS) ++stats_.divergences;
  split_brain_reports_ns_.push_back(now);
}

void Run::on_log(const std::string& line) {
  cluster_.trace().record(cluster_.scheduler().now_ns(), "log", line);
  if (line.find("reintegration of") != std::string::npos && line.find("finished") != std::string::npos) {
    if (line.find("fast reintegration") != std::string::npos) ++stats_.reintegrations_fast;
    if (line.find("full reintegration") != std::string::npos) ++stats_.reintegrations_full;
  }
}

void Run::fail(const std::string& invariant, const std::string& detail) {
  if (violation_) return;
  violation_ = Violation{invariant, detail, cluster_.scheduler().now_ns()};
  note("VIOLATION " + invariant + ": " + detail);
}

bool Run::stop_running() {
  if (!violation_ && cluster_.scheduler().events_run() > kMaxEventsPerRun) {
    fail("livelock", "more than " + std::to_string(kMaxEventsPerRun) +
                         " simulated events: a loop (reconnects, messages) that makes no progress");
  }
  return violation_.has_value();
}

void Run::safety_phase() {
  note("safety phase: " + std::to_string(options_.duration_s) + " s with faults");
  for (auto& [name, s] : slots_) start_node(s);
  start_clients();
  if (options_.schedule) {
    schedule_given_faults();
  } else if (options_.faults) {
    schedule_next_fault();
  }
  cluster_.scheduler().after(kSampleIntervalNs, [this] { sample(); });
  if (options_.canary == Canary::oracle_forgets_ack) {
    // A write to a client's file that no node ever saw, "acknowledged" half-way.
    cluster_.scheduler().after(options_.duration_s * io::kNsPerS / 2, [this] {
      OpRecord forged{.client = 0, .kind = core::OpKind::write, .path = clients_[0].files[0], .offset = 0,
                      .size_bytes = 4096, .node = "node1", .submitted_ns = cluster_.scheduler().now_ns()};
      const std::uint64_t id = oracle_.record(forged);
      oracle_.complete(id, cluster_.scheduler().now_ns(), io::Error::ok);
      note("canary: the oracle records op " + std::to_string(id) + " as acknowledged");
    });
  }
  const std::int64_t end = cluster_.scheduler().now_ns() + options_.duration_s * io::kNsPerS;
  cluster_.scheduler().run_until([this] { return stop_running(); }, end);
}

void Run::liveness_phase() {
  phase_ = Phase::liveness;
  const std::int64_t start = cluster_.scheduler().now_ns();
  note("liveness phase: faults stop, the network heals; " + std::to_string(options_.liveness_budget_s) + " s to converge");
  end_all_faults();
  const std::int64_t deadline = start + options_.liveness_budget_s * io::kNsPerS;
  while (!violation_ && cluster_.scheduler().now_ns() < deadline) {
    liveness_admin();
    cluster_.scheduler().run_until([this] { return stop_running(); },
                                   std::min(deadline, cluster_.scheduler().now_ns() + io::kNsPerS));
    if (converged()) {
      stats_.converged_after_ns = cluster_.scheduler().now_ns() - start;
      note("converged after " + format_time(stats_.converged_after_ns));
      final_checks();
      return;
    }
  }
  if (violation_) return;
  safety_checks();  // a run that did not converge may still have broken safety: that first
  if (violation_) return;
  std::string states;
  for (auto& [name, s] : slots_) {
    states += " " + name + "=" +
              (s.node ? std::string(core::node_state_name(s.node->state())) + " (" + s.node->state_reason() + "; role " +
                            std::string(core::primary_state_name(s.node->role_state())) +
                            (s.node->synchronised() ? ", synchronised" : "") +
                            (s.node->reintegration_progress() ? ", reintegrating its peer" : "") + ")"
                      : std::string("crashed"));
  }
  fail("convergence", "no PRIM with a synchronised SECOND and identical data after " +
                          std::to_string(options_.liveness_budget_s) + " s of liveness:" + states +
                          (convergence_problem_.empty() ? "" : "; " + convergence_problem_));
}

RunResult Run::execute() {
  build_cluster();
  safety_phase();
  if (!violation_) liveness_phase();
  phase_ = Phase::done;
  RunResult result;
  result.seed = scenario_.seed;
  result.scenario = scenario_;
  result.violation = violation_;
  stats_.ops_submitted = oracle_.ops().size();
  stats_.ops_acknowledged = oracle_.acknowledged();
  stats_.writes_acknowledged = oracle_.acknowledged_writes();
  stats_.events = cluster_.scheduler().events_run();
  stats_.simulated_ns = cluster_.scheduler().now_ns();
  result.stats = stats_;
  result.trace_hash = cluster_.trace().hash();
  result.faults_injected = injected_;
  if (violation_) {
    const auto& recent = cluster_.trace().recent_lines();
    result.last_events.assign(recent.begin(), recent.end());
  }
  return result;
}

std::optional<RunResult> run_seed(const RunOptions& options) {
  const auto scenario = draw_scenario(options.seed, options.preset);
  if (!scenario) return std::nullopt;
  Scenario chosen = *scenario;
  if (options.workload) chosen.workload = *options.workload;
  for (const FaultKind kind : options.without) chosen.faults.weights[static_cast<std::size_t>(kind)] = 0;
  if (!options.mode_ops) chosen.workload.mode_ops_percent = 0;
  // This thread's core runs with the canary (if it is one of runtime/core's) until the
  // run ends: the other seeds' threads are unaffected.
  const core::ScopedProtocolCanary planted(protocol_canary_of(options.canary));
  Run run(chosen, options);
  return run.execute();
}

std::string replay_command(const RunOptions& options) {
  std::string command = "hamirror-chaos --seed " + std::to_string(options.seed) + " --duration " +
                        std::to_string(options.duration_s);
  if (!options.preset.empty()) command += " --config " + options.preset;
  if (!options.mode_ops) command += " --no-mode-ops";
  if (options.canary != Canary::none) command += " --canary " + std::string(canary_name(options.canary));
  if (!options.without.empty()) {
    std::string kinds;
    for (const FaultKind kind : options.without) kinds += (kinds.empty() ? "" : ",") + std::string(fault_kind_name(kind));
    command += " --without " + kinds;
  }
  if (options.liveness_budget_s != RunOptions{}.liveness_budget_s) {
    command += " --liveness " + std::to_string(options.liveness_budget_s);
  }
  if (options.schedule) command += " --faults '" + format_schedule_inline(*options.schedule) + "'";
  return command + " --trace";
}

std::string_view canary_name(Canary canary) {
  switch (canary) {
    case Canary::none: return "none";
    case Canary::secondary_drops_writes: return "secondary_drops_writes";
    case Canary::oracle_forgets_ack: return "oracle_forgets_ack";
    case Canary::fsync_lies: return "fsync_lies";
    default: return core::protocol_canary_name(protocol_canary_of(canary));
  }
}

std::optional<Canary> canary_from_name(std::string_view name) {
  if (name == canary_name(Canary::none)) return Canary::none;
  for (const Canary c : kCanaries) {
    if (canary_name(c) == name) return c;
  }
  return std::nullopt;
}

core::ProtocolCanary protocol_canary_of(Canary canary) {
  switch (canary) {
    case Canary::ack_before_peer_ack: return core::ProtocolCanary::ack_before_peer_ack;
    case Canary::skip_persisting_dirty_regions: return core::ProtocolCanary::skip_persisting_dirty_regions;
    case Canary::promote_stale_node: return core::ProtocolCanary::promote_stale_node;
    case Canary::ignore_witness: return core::ProtocolCanary::ignore_witness;
    case Canary::fsync_without_peer_fsync: return core::ProtocolCanary::fsync_without_peer_fsync;
    case Canary::apply_out_of_order: return core::ProtocolCanary::apply_out_of_order;
    case Canary::alone_without_outdated_confirmation: return core::ProtocolCanary::alone_without_outdated_confirmation;
    case Canary::no_activity_record_while_prim: return core::ProtocolCanary::no_activity_record_while_prim;
    case Canary::resync_block_over_live_write: return core::ProtocolCanary::resync_block_over_live_write;
    case Canary::none:
    case Canary::secondary_drops_writes:
    case Canary::oracle_forgets_ack:
    case Canary::fsync_lies: return core::ProtocolCanary::none;
  }
  return core::ProtocolCanary::none;
}

void RunStats::add(const RunStats& o) {
  for (std::size_t k = 0; k < kFaultKinds; ++k) faults[k] += o.faults[k];
  ops_submitted += o.ops_submitted;
  ops_acknowledged += o.ops_acknowledged;
  writes_acknowledged += o.writes_acknowledged;
  failovers += o.failovers;
  primary_changes += o.primary_changes;
  reintegrations_fast += o.reintegrations_fast;
  reintegrations_full += o.reintegrations_full;
  divergences += o.divergences;
  split_brain_lost_acks += o.split_brain_lost_acks;
  double_failures += o.double_failures;
  unsynced_acks_demoted += o.unsynced_acks_demoted;
  frozen_vip_overlaps += o.frozen_vip_overlaps;
  vip_overlaps_without_witness += o.vip_overlaps_without_witness;
  admin_prims_refused += o.admin_prims_refused;
  events += o.events;
  simulated_ns += o.simulated_ns;
}

}  // namespace hamirror::sim::runner
