// The run's machinery (see run.h), private to sim/runner: one class, its parts in
// run.cpp (cluster and phases), run_workload.cpp (clients), run_faults.cpp (fault
// injection and the admin) and run_checks.cpp (invariants).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/node/node.h"
#include "core/witness/witness_server.h"
#include "fsim/capacity_fs.h"
#include "fsim/faulty_fs.h"
#include "sim/cluster/sim_cluster.h"
#include "sim/runner/oracle.h"
#include "sim/runner/peer_silence.h"
#include "sim/runner/run.h"

namespace hamirror::sim::runner {

constexpr const char* kRoot = "/data";
constexpr const char* kStateDir = "/var/lib/hamirror";
constexpr const char* kVip = "192.168.1.99";
constexpr const char* kWitnessHost = "192.168.1.3";
constexpr const char* kWitnessStatePath = "/var/lib/witness/epoch";
constexpr std::uint16_t kHeartbeatPort = 4800;
constexpr std::uint16_t kLeasePort = 4900;
constexpr std::uint16_t kReplicationPort = 5000;
// Two ack-source changes within this window: two nodes acknowledging at once. No
// legitimate handover is this fast (a swap runs stop_prim, a failover waits a timeout).
constexpr std::int64_t kFlipFlopWindowNs = 100 * io::kNsPerMs;
// How often the runner samples the pair's health (for the double-failure rule).
constexpr std::int64_t kSampleIntervalNs = 50 * io::kNsPerMs;
// A node declares its peer lost after `timeout` without a heartbeat; half of it, with
// the samples' granularity and the network's delays, is surely shorter.
constexpr std::int64_t long_silence_ns(std::int64_t timeout_ms) { return timeout_ms * io::kNsPerMs / 2; }
// A run past this many scheduler events is in a storm (a reconnect or message loop
// that makes no progress): reported as the "livelock" violation. Normal 60 s runs
// take well under a million.
constexpr std::uint64_t kMaxEventsPerRun = 5'000'000;
// Admin commands at least this far apart.
constexpr std::int64_t kAdminSpacingNs = 2 * io::kNsPerS;

// One machine's node process and the disk stack under it; rebuilt after a crash.
struct NodeSlot {
  std::string name;
  std::string peer;
  std::unique_ptr<fsim::CapacityFs> capacity;
  std::unique_ptr<fsim::FaultyFs> faulty;
  std::unique_ptr<io::FileSystem> canary_fs;
  std::unique_ptr<io::Io> io;
  std::unique_ptr<core::Node> node;  // null: crashed, not restarted yet
  std::uint64_t incarnation = 0;
  // Simulated intervals when this node could not hear anything (crashed, stopped,
  // frozen), for telling a stale promotion from a lost write.
  std::vector<std::pair<std::int64_t, std::int64_t>> absent;
  std::int64_t absent_since = -1;
  // The last sample that saw this node in a synchronised pair: an op acknowledged
  // after it, missing here when this node starts serving, means a stale node served.
  std::int64_t last_synchronised_ns = -1;
  // The last sample that saw this node SECOND (frozen or not): until the next one it
  // may still have applied ops its peer sent.
  std::int64_t last_second_ns = -1;
  // Whether this node could hear its peer, from the network's deliveries: without a
  // witness, a node may serve without its peer's writes only after it went long without
  // the peer's heartbeats (a cut network, the peer down), or on an admin's order.
  PeerSilence silence{0};
  std::int64_t admin_prim_ns = -1;         // the last admin prim or primforce this node accepted
  // A write of this copy failed (EIO) since it last acknowledged: the node marks its
  // copy inconsistent and stops, and is no serving copy until it acknowledges again.
  bool write_failed = false;
};

// When the two copies of a split brain parted, as the samples bound it: the loser's
// ops acknowledged up to `synchronised_ns` are on the winner; ops the loser took after
// `reachable_ns` (the winner was no secondary any more) never reached it; those
// between may have.
struct Parting {
  std::int64_t synchronised_ns = -1;
  std::int64_t reachable_ns = -1;
};

struct Client {
  int id = 0;
  std::string target = "node1";
  std::optional<std::uint64_t> pending;  // the op in flight
  std::vector<std::string> files;
  std::string directory;  // its one directory: made, chmodded and removed, never filled
  // What the client believes of each of its files (for choosing ops, not for judging).
  std::map<std::string, std::pair<Exists, std::uint64_t>> belief;  // exists, size
};

struct ActiveFault {
  std::uint64_t id = 0;
  FaultKind kind;
  std::string node;
  Scheduler::EventId end_event = 0;
  std::function<void()> end;
};

// Ops acknowledged by one node and missing on the other when it began acknowledging:
// allowed only as part of a split brain the nodes report.
struct Suspicion {
  std::int64_t at_ns = 0;
  std::int64_t earliest_ack_ns = 0;
  std::string node;
  std::string invariant;
  std::string detail;
};

class Run {
 public:
  explicit Run(const Scenario& scenario, const RunOptions& options);
  ~Run();
  RunResult execute();

 private:
  // run.cpp
  void build_cluster();
  core::NodeConfig config_for(const std::string& name) const;
  void start_node(NodeSlot& slot);
  void start_witness();
  void note(const std::string& line);
  NodeSlot& slot(const std::string& name) { return slots_.at(name); }
  core::Node* node(const std::string& name) { return slots_.at(name).node.get(); }
  bool usable(const std::string& name);  // running (not crashed) and not frozen
  bool takes_admin_prim(const std::string& name);  // usable, neither primary nor stopped
  void on_datagram_delivered(const std::string& from, const std::string& to, std::uint16_t port);
  void on_state_change(const std::string& name, core::NodeState from, core::NodeState to);
  // The nodes met and found a split brain: what explains a stale primary without a witness.
  void on_split_brain();
  void on_log(const std::string& line);
  void safety_phase();
  void liveness_phase();
  bool converged();
  void fail(const std::string& invariant, const std::string& detail);
  bool stop_running();  // a violation, or the event bound (then a livelock violation)
  void start_stopped(NodeSlot& slot);
  void mark_absent(NodeSlot& slot, bool absent);

  // run_workload.cpp
  void start_clients();
  void client_step(int id);
  void client_retry(int id, std::int64_t delay_ns, bool switch_target);
  core::FileOp next_op(Client& client, OpRecord& record);
  core::FileOp next_mode_op(Client& client, OpRecord& record);
  void on_op_done(int client, std::uint64_t op_id, const std::string& node, std::uint64_t incarnation, io::Error result);
  void release_clients_of(const std::string& node);

  // run_faults.cpp
  void schedule_next_fault();
  void inject_fault();
  void schedule_given_faults();
  LinkChaos draw_link_chaos();
  bool start_fault(ScheduledFault& fault, bool draw);
  void end_fault_later(FaultKind kind, const std::string& node, std::int64_t after_ns, std::function<void()> end);
  void end_fault(std::uint64_t id);
  bool partition_active() const;
  bool fault_active(FaultKind kind, const std::string& node) const;
  void end_all_faults();
  void crash(NodeSlot& slot);
  // The second failure of a double failure: `slot` fails while its peer does not hold
  // every acknowledged write.
  bool peer_lacks_acknowledged_writes(const NodeSlot& slot);
  void both_copies_failed(const std::string& second_failure);
  void on_sync_failed(NodeSlot& slot);
  void set_aside(std::uint64_t id, bool suspected);
  void exclude_late_loser_ops();
  void reverse_split_brain_choice(const std::string& winner);
  void restart(NodeSlot& slot);
  bool admin_prim(const std::string& name, bool force);
  void resolve_split_brain(const std::string& winner);
  std::uint64_t exclude_loser_ops(const std::string& winner, const Parting& parted, const std::string& why);
  // The same, judging `judged_on`'s disk and only the ops acknowledged up to `until_ns`.
  std::uint64_t exclude_loser_ops_on(const std::string& judged_on, const std::string& winner, const Parting& parted,
                                     std::int64_t until_ns, const std::string& why);
  void settle_split_brain_choice();
  void exclude_revealed_loser_ops(const std::string& judged_on);
  void liveness_admin();
  std::string random_node();

  // run_checks.cpp
  void sample();
  bool pair_synchronised_now();
  // Since `slot` was last synchronised with its peer, did it lose the peer's heartbeats
  // while both were up, or take an admin's prim? Else it had no reason to serve alone.
  bool cut_off_or_ordered_since_synchronised(const NodeSlot& slot);
  void on_acknowledged(const std::string& node, std::int64_t submitted_ns);
  // The admin resolved a split brain and its loser has not yet become the winner's
  // secondary: the loser may still acknowledge on its own side until the two meet.
  bool loser_serves_resolved_side() const;
  void check_new_primary(const std::string& node);
  std::string classify(const std::string& node, const std::vector<std::uint64_t>& missing);
  void final_checks();
  // Suspicions and flip-flops a split brain must explain, VIP overlaps.
  void safety_checks();
  void check_vip_overlaps();
  void check_vip_now();
  bool explained_by_split_brain(const Suspicion& suspicion) const;
  // "" when both replicated trees are byte-identical, else the first difference.
  std::string tree_difference();
  bool probe_write(const std::string& primary, const std::string& secondary);

  Scenario scenario_;
  RunOptions options_;
  SimCluster cluster_;
  io::Prng workload_rng_;
  io::Prng fault_rng_;
  std::map<std::string, NodeSlot> slots_;
  std::unique_ptr<core::witness::WitnessServer> witness_;  // null: none or down
  Oracle oracle_{kRoot};
  std::vector<Client> clients_;
  std::vector<ActiveFault> active_;
  FaultSchedule injected_;  // every fault started, drawn or given (RunResult::faults_injected)
  std::uint64_t next_fault_id_ = 0;
  enum class Phase : std::uint8_t { safety, liveness, done } phase_ = Phase::safety;
  std::optional<Violation> violation_;
  RunStats stats_;

  // Checker state.
  std::string last_ack_node_;
  std::int64_t last_ack_switch_ns_ = 0;  // when last_ack_node_ began acknowledging
  bool last_ack_copy_crashed_ = false;   // last_ack_node_ crashed since its last acknowledgement
  std::deque<std::int64_t> recent_switches_ns_;
  std::vector<Suspicion> suspicions_;
  std::set<std::uint64_t> suspicion_demoted_;
  std::vector<std::int64_t> split_brain_reports_ns_;
  std::string resolved_winner_;  // the admin's last split-brain choice, until the pair is synchronised
  // What the admin's last split-brain choice (for resolved_winner_) left out or made
  // uncertain, as it was before, until the loser's copy is overwritten (the pair is
  // seen synchronised): see reverse_split_brain_choice.
  struct SetAside {
    OpRecord before;
    bool suspected = false;  // was in suspicion_demoted_
  };
  std::vector<SetAside> set_aside_;
  // The loser of resolved_winner_'s choice became the winner's secondary since: a
  // reintegration from the winner began overwriting its copy, so the choice took
  // effect there even if that reintegration never finished (seeds 162821, 172953).
  bool loser_reintegrated_ = false;
  Parting resolved_parting_;
  // An admin's split-brain choice made final: the pair was seen synchronised after it,
  // the winner serving. What the loser acknowledged after parting and until then is on
  // no copy any more.
  struct SettledChoice {
    std::string winner;
    Parting parted;
    std::int64_t settled_ns = 0;
  };
  std::vector<SettledChoice> settled_choices_;
  std::vector<std::int64_t> flip_flops_ns_;  // without a witness: must be explained
  std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> frozen_;  // per node
  std::int64_t last_admin_ns_ = -kAdminSpacingNs;
  std::int64_t no_primary_since_ns_ = -1;
  std::uint64_t last_ack_incarnation_ = 0;
  int prim_attempts_ = 0;
  std::string convergence_problem_;  // liveness: admin prims tried while no node is primary
};

}  // namespace hamirror::sim::runner
