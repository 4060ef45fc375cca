// One cluster node: heartbeats, the replication link, its role and its data.
//
// The node carries out what role_decision.h decides, and keeps the rules that protect
// acknowledged writes (issue #3, section 5):
// - it acknowledges writes alone only after persisting a new data generation, then
//   the mark that it does (GenerationInfo::acknowledged_alone), and only once the secondary is known to be unable to take over: it marked itself
//   outdated, or every heartbeat network fell silent (no witness configured: SafeKit's
//   rule, where a split brain is possible and is detected when the nodes meet again);
// - a primary that loses the replication link while heartbeats still flow holds its
//   writes and asks, in its heartbeats, the secondary to mark itself outdated; the
//   secondary does so durably, then says so in its heartbeats, and only then does
//   the primary go on alone. An outdated secondary never promotes itself. (A
//   secondary does not outdate itself on a link loss alone: the primary may have
//   crashed, and then the secondary must take over.)
// - only a node whose data is up to date becomes primary on its own.
//
// Every state change is reported with its reason.
//
// Every op a primary issues is first admitted by the activity record (WritePath,
// ActivityTracker): PRIM or ALONE, a crash of either copy leaves a durable record of
// what may differ. When the nodes meet, each hello carries the node's marks; a node
// that returns is brought back while the primary, ALONE, keeps serving writes:
// - fast, when its data is the point the primary's marks start from (same generation,
//   or the generation the primary left when it went on alone): only the union of both
//   nodes' marks travels;
// - full otherwise (wiped, unrelated, diverged, interrupted, or a record that cannot
//   bound the differences): block checksums, only differing blocks travel.
// Then both switch to PRIM/SECOND, and at the first checkpoint after the switch (both
// copies durable) the marks are forgotten.
//
// The primary role's resources follow the state (PrimaryRole): entering ALONE or PRIM
// makes the directories writable, adds the VIP and runs start_prim; leaving for
// SECOND or STOP stops the application, removes the VIP, then read-only; leaving for
// WAIT (fenced: split brain, lease lost) refuses writes at once, removes the VIP,
// then stop_prim force. errd watches the application while this node is primary.
//
// With a witness configured (core/witness), acknowledging alone needs its lease, at
// the moment of each acknowledgement (Replicator's alone gate): a primary wants the
// lease all along; a secondary that lost its primary takes over only once granted
// it; a primary that loses its secondary without holding the lease, or loses the
// lease while ALONE, fences itself (writes refused, VIP removed, stop_prim force)
// and waits. Without a witness, SafeKit's rule: after `timeout` each side may go
// ALONE, and a split brain is detected when they meet again.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/activity/dirty_map.h"
#include "core/failover/application_control.h"
#include "core/failover/primary_role.h"
#include "core/failover/process_checker.h"
#include "core/node/activity_tracker.h"
#include "core/node/node_messages.h"
#include "core/node/write_path.h"
#include "core/node/role_decision.h"
#include "core/peer_monitor.h"
#include "core/reintegration/reintegration_source.h"
#include "core/reintegration/reintegration_target.h"
#include "core/replication/generation.h"
#include "core/replication/replica.h"
#include "core/replication/replicator.h"
#include "core/wire/framed_connection.h"
#include "core/witness/lease_client.h"
#include "io/atomic_file.h"
#include "io/io.h"

namespace hamirror::core {

struct NodeWitness {
  io::Address local;   // this node's lease endpoint
  io::Address server;  // the witness
};

struct NodeConfig {
  std::string name;
  std::string peer;
  std::vector<HeartbeatNetwork> heartbeat_networks;
  std::int64_t pulse_ms = 700;
  std::int64_t timeout_ms = 30000;
  io::Address replication_local;  // where this node accepts the replication link
  io::Address replication_peer;   // where the peer accepts it
  std::vector<std::string> roots; // the replicated directories' native paths
  std::string state_dir;          // the generation record lives here
  AsyncMode async_mode = AsyncMode::none;
  ClusterPolicy policy;
  ActivityTrackerOptions activity;
  // PRIM: how often both copies are made durable so active extents can retire (and at
  // once when the activity log is full).
  std::int64_t checkpoint_interval_ms = 1000;
  // Reintegrating the peer: file reads in flight at once (userconfig.xml's nbrei).
  std::size_t reintegration_reads = 3;
  // What being primary means here: the VIP (address empty: none), the application
  // (no scripts and no services: nothing to run), errd (no processes: no checks).
  io::VipSpec vip;
  ApplicationConfig application;
  ProcessCheckerConfig errd;
  std::optional<NodeWitness> witness;
};

class Node {
 public:
  struct Listener {
    std::function<void(NodeState from, NodeState to, const std::string& reason)> on_state_change;
    std::function<void(const std::string& line)> on_log;
    // Script output (SafeKit's application log); optional: the module log otherwise.
    std::function<void(const std::string& line)> on_application_log;
    // The nodes met and found that both wrote alone (optional): what a console alerts
    // on. Called at each meeting that finds it, whatever the state does.
    std::function<void(const std::string& reason)> on_split_brain;
  };

  Node(io::Io& io, NodeConfig config, Listener listener);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // STOP -> WAIT: loads (or creates) the generation record, then looks for the peer.
  void start();
  // -> STOP. Writes waiting for the secondary fail; the primary role is left
  // gracefully (stop_prim, VIP removed, read-only); `left` runs once it has been.
  void stop(std::function<void()> left = {});
  // The admin's `prim` / `primforce`: "" when accepted, else why not.
  std::string prim(bool force);
  // The admin's `swap`: this PRIM hands its role to its synchronised secondary and
  // becomes its secondary. "" when begun, else why not.
  std::string swap();
  // The admin's `second`: this node gives up the primary role. PRIM with a
  // synchronised secondary: a swap. ALONE, or WAIT (after a split brain, say): its
  // data is to be overwritten by the peer's — the generation record keeps its history
  // but names no current data, so the peer becomes primary and fully reintegrates it.
  // "" when accepted, else why not.
  std::string second();
  // The admin's `failover on|off`: off, a secondary never takes over by itself.
  void set_failover(bool on);
  bool holds_lease() const { return lease_ && lease_->holds_lease(); }

  // The write path for frontends: read_only unless this node is ALONE or PRIM;
  // would_block when kMaxWaitingWrites wait already. Otherwise ok, and done runs once.
  io::Error submit(FileOp op, Replicator::DoneFn done);

  NodeState state() const { return state_; }
  const std::string& state_reason() const { return state_reason_; }
  const GenerationInfo& generation() const { return generation_; }
  const std::string& name() const { return config_.name; }
  // SECOND and receiving every op: the copies are the same up to what is in flight.
  bool synchronised() const { return state_ == NodeState::second && replica_ != nullptr && link_ != nullptr; }
  // While this primary reintegrates its peer; nullopt otherwise.
  std::optional<ResyncProgress> reintegration_progress() const {
    if (!source_ || !source_->running()) return std::nullopt;
    return source_->progress();
  }
  // The last reintegration this node ran as the primary, and whether it was fast.
  const ResyncProgress& last_reintegration() const { return last_reintegration_; }
  bool last_reintegration_fast() const { return last_reintegration_fast_; }
  std::size_t active_extents() const { return activity_ ? activity_->active_extents() : 0; }
  PrimaryRole::State role_state() const { return role_->state(); }
  // A swap or a clean stop is handing the primary role to the peer: writes are refused
  // from its start, while the role is still held.
  bool handing_over() const { return handover_.has_value(); }
  // What the peer's heartbeats last said, for `hamirror state`; null while STOP.
  const PeerMonitor* peer_monitor() const { return monitor_.get(); }

 private:
  void load_state();
  void load_generation();
  void begin();
  void set_state(NodeState state, const std::string& reason);
  // The primary role's resources follow a state change (see the top of this file).
  void follow_role(NodeState from, NodeState to, const std::string& reason);
  void take_role(const std::string& reason);
  void on_role_taken(const PrimaryRole::Outcome& outcome);
  void on_errd_action(ProcessAction action, const std::string& reason);
  void maybe_fail_back();
  void finish_stop(std::function<void()> left);
  // Fencing: nothing more is acknowledged, not even the writes that wait (read_only).
  void fence_writes();
  void destroy_soon(std::shared_ptr<void> part);

  // Handing the primary role to the synchronised secondary (swap, clean stop): writes
  // are refused, those in flight complete, a checkpoint makes both copies durable,
  // the role is left (stop_prim, VIP removed, read-only), then RoleHandover; the peer
  // answers and takes the role. Any failure abandons it (see abandon_handover).
  // The admin's prim on this side of a split brain, without going alone: the peer's
  // diverged generation is recorded as discarded, then the nodes meet again if they
  // are linked; `then` is told which.
  void record_admin_choice(std::function<void(bool met_again)> then = {});
  std::string overruling_words() const;  // what an admin's prim here does to the peer's data
  // Why an admin command cannot act yet: stopped, or its records not read yet.
  std::string refuse_until_running() const;
  std::string hand_over(bool stopping, std::function<void()> left);
  void continue_handover();
  void abandon_handover(const std::string& why);
  void on_handover_ack(const RoleHandoverAck& ack);
  void on_role_handover(const RoleHandover& handover);
  void log(const std::string& line);
  // Writes `next` as the generation record, then adopts and publishes it and runs
  // `then` -- unless `superseded` says a record queued after it replaces it.
  void persist(GenerationInfo next, std::function<void()> then, std::function<bool()> superseded = {});
  // Writes `next` as the generation record and runs `durable` once it is; a failure
  // stops the node. persist() is this plus adopting the record.
  void write_generation_record(GenerationInfo next, std::function<void()> durable);

  void on_peer_change(bool up, const std::string& reason);
  void on_peer_status(std::uint8_t peer_state, bool peer_outdated, bool peer_requests_outdate);
  void publish_status();
  void mark_outdated();
  bool peer_outdated_for_our_generation() const;
  void on_start_timeout();
  void try_connect();
  void reconnect_later();
  void accept_link(std::unique_ptr<io::StreamConnection> stream);
  void set_link(std::unique_ptr<io::StreamConnection> stream);
  void watch_link();
  void on_frame(const wire::Frame& frame);
  void on_link_lost(const std::string& reason);
  void on_peer_hello(const NodeHello& hello);
  void carry_out(const MeetingDecision& decision, const NodeHello& peer);

  void ensure_replicator();
  void drop_replicator();
  io::Error issue(FileOp&& op, Replicator::DoneFn&& done);
  void on_write_completed(std::uint64_t sequence, const FileOp& shape, io::Error result);
  void request_checkpoint();
  void on_checkpoint(std::uint64_t through, io::Error result);
  bool fast_reintegration_possible(const NodeHello& peer) const;
  void plan_and_start_reintegration();
  void start_reintegration(std::optional<FastResyncInput> fast, const std::string& why_full);
  void become_primary_with_secondary(const std::string& reason);
  void become_secondary(const GenerationInfo& primary_generation, const std::string& reason);
  void reintegrate_peer(const std::string& reason, bool fast);
  void confirm_alone(const std::string& why);
  void be_reintegrated(const std::string& reason);
  void adopt_target_generation();
  void go_alone(const std::string& reason, std::function<void()> then = {});
  void start_alone_generation(const std::string& reason, std::function<void()> then, std::uint64_t attempt);
  void cancel_going_alone(const std::string& why);
  // The Replicator's alone gate: true once this copy's generation durably says it
  // acknowledges writes alone (the first call records it) and, with a witness, the
  // lease allows it right now.
  bool may_acknowledge_alone();
  void on_peer_lost(const std::string& reason);
  bool fence_if_cut_off_without_lease();
  bool fence_if_peer_went_on_alone();
  // The secondary is gone: ALONE, or fenced when the witness lease is not held.
  void primary_without_secondary(const std::string& reason);
  void on_local_disk_error(std::uint64_t sequence, io::Error result);
  void on_acknowledged_op_failed(std::uint64_t sequence, io::Error result);
  void on_failure_awaiting_primary(std::uint64_t sequence, io::Error result);
  void on_failures_confirmed();
  void mark_copy_inconsistent();
  bool changed_since_hello() const;
  void on_activity_record_failed();
  void stop_soon(const std::string& why);
  void fail_link_soon(const std::string& why);
  void want_lease();
  void on_lease_acquired(std::uint64_t epoch, const std::string& reason);
  void on_lease_lost(const std::string& reason);

  // Wraps a callback so it does nothing once the node was stopped or destroyed: I/O
  // completions of an earlier run must not act on a later one.
  template <typename F>
  auto guarded(F f) {
    return [alive = std::weak_ptr<std::uint64_t>(run_), run = *run_, f = std::move(f)](auto&&... args) mutable {
      const auto token = alive.lock();
      if (!token || *token != run) return;
      f(std::forward<decltype(args)>(args)...);
    };
  }

  io::Io& io_;
  NodeConfig config_;
  Listener listener_;
  // The primary role outlives each run (a stop must finish leaving it).
  std::unique_ptr<ApplicationControl> application_;
  std::unique_ptr<PrimaryRole> role_;
  std::unique_ptr<ProcessChecker> checker_;  // null without errd processes
  bool writable_ = false;  // the write gate PrimaryRole opens and shuts
  NodeState state_ = NodeState::stop;
  std::string state_reason_ = "not started";
  GenerationInfo generation_;
  std::unique_ptr<io::AtomicFile> generation_file_;
  std::unique_ptr<PeerMonitor> monitor_;
  std::unique_ptr<witness::LeaseClient> lease_;
  bool lease_force_ = false;  // an admin's primforce asks the witness for the lease
  bool taking_over_ = false;     // a secondary waits for the lease to take over
  bool alone_at_start_ = false;  // no peer at start: ALONE once the lease is granted
  struct PendingAlone {
    std::string reason;
    std::function<void()> then;
  };
  std::optional<PendingAlone> pending_alone_;  // go_alone waiting for the witness lease
  std::unique_ptr<io::StreamListener> link_listener_;
  std::unique_ptr<wire::FramedConnection> link_;
  bool connecting_ = false;
  bool peer_hello_seen_ = false;
  bool start_deferred_ = false;  // the start timeout found the peer's heartbeats but no link
  // The last run's Replica or Replicator, kept after its stop until what it applied is
  // durable (finish_stop); a start drops it.
  std::shared_ptr<void> retired_copy_;
  // The heartbeat monitor and the lease client a stop left: a stop may run inside one
  // of their callbacks, where they must not be destroyed (see destroy_soon).
  std::vector<std::shared_ptr<void>> retired_parts_;
  std::unique_ptr<io::Timer> retired_parts_timer_;
  bool met_peer_ = false;  // a hello was received at least once in this run
  bool last_run_crashed_ = false;  // found GenerationInfo::running set at this start
  std::unique_ptr<io::Timer> start_timer_;
  std::unique_ptr<io::Timer> connect_timer_;
  // The replication link's own liveness (DRBD's ping-timeout): a TCP connection to a
  // peer that lost power stays "up" for many minutes (the kernel's retransmission and
  // keepalive timers), so on a secondary, silence on every heartbeat network plus
  // `timeout` without a frame on the link ends it (see watch_link).
  std::unique_ptr<io::Timer> link_watch_timer_;
  std::int64_t link_heard_ns_ = 0;
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<Replica> replica_;
  std::unique_ptr<ReintegrationSource> source_;  // this primary reintegrates its peer
  std::unique_ptr<ReintegrationTarget> target_;  // this node is being reintegrated
  std::unique_ptr<ActivityTracker> activity_;
  std::unique_ptr<WritePath> writes_;
  DirtyMap peer_marks_;  // from the peer's hello
  DirtyMap hello_marks_;  // sent in this node's last hello: the peer plans from them
  bool hello_consistent_ = false;  // that hello's copy was consistent (else the peer compares in full)
  GenerationInfo hello_generation_;  // that hello's record: what the peer decides on
  // Before a reintegration starts: issuing waits until nothing is in flight, so that
  // what it reads first holds every op issued here before it (plan_fast_: the marks
  // it plans from; else a full walk's listings).
  bool planning_ = false;
  bool plan_fast_ = false;
  std::unique_ptr<io::Timer> checkpoint_timer_;
  bool checkpoint_pending_ = false;
  // After a reintegration: the marks are forgotten once both copies are durable
  // through this sequence number.
  std::optional<std::uint64_t> forget_marks_after_;
  std::uint64_t next_sequence_ = 1;  // the next replicator starts here (the log needs one numbering)
  struct Handover {
    enum class Phase : std::uint8_t { draining, checkpointing, leaving, awaiting_ack };
    bool stopping = false;
    std::function<void()> left;  // stopping: the caller of stop()
    Phase phase = Phase::draining;
  };
  std::optional<Handover> handover_;
  // The peer's generation when the last meeting found a split brain; an admin `prim`
  // here then discards it (GenerationInfo::discarded).
  std::uint64_t diverged_peer_generation_ = 0;
  // The peer's generation when the last meeting found it waiting (not serving) with
  // data newer than this copy's, which neither side overwrites on its own: an admin's
  // `primforce` here overrules it the same way (seeds 162821, 172953: after a
  // primforce here the peer found its data newer than this primary's and waited for
  // good); `prim` here is refused, as on any stale copy (seed 234966). A
  // waiting node starts a new generation before it acknowledges anything, so the id
  // names exactly the data the admin chose against.
  std::uint64_t newer_waiting_peer_generation_ = 0;
  // The peer data an admin's `prim` here overrules, 0 when none (see the two above).
  std::uint64_t overruled_peer_generation() const {
    return diverged_peer_generation_ != 0 ? diverged_peer_generation_ : newer_waiting_peer_generation_;
  }
  std::uint64_t discard_on_alone_ = 0;
  std::unique_ptr<io::Timer> handover_timer_;
  std::unique_ptr<io::Timer> disk_failure_timer_;
  std::unique_ptr<io::Timer> reintegration_failed_timer_;  // fail_link_soon's
  ResyncProgress last_reintegration_;
  bool last_reintegration_fast_ = false;
  // The go_alone under way, if any: its callbacks check that they still belong to it.
  std::optional<std::uint64_t> alone_attempt_;
  std::uint64_t alone_attempts_ = 0;
  std::vector<std::function<void()>> after_alone_;  // go_alone requests that joined one under way
  // The generation this run marked acknowledged_alone (written, or being written):
  // every later record of that generation keeps the mark (persist).
  std::uint64_t acknowledged_alone_generation_ = 0;
  bool marking_outdated_ = false;    // at the primary's request: no going alone meanwhile
  // The admin's prim recorded a split brain's choice and waits for the meeting it
  // asked for; the peer found gone instead, this node goes alone (on_peer_lost).
  bool prim_waits_for_meeting_ = false;
  bool requesting_outdate_ = false;  // PRIM without its link: asks the secondary to outdate itself
  // Made primary by a meeting (from WAIT or SECOND) whose peer has not yet answered as
  // the reintegration target: its hello may have been stale (seed 125430). Nothing is
  // acknowledged alone meanwhile, and a link lost before the answer ends the role.
  bool alone_unconfirmed_ = false;
  // Bumped by stop(): callbacks of an earlier run check it and do nothing.
  std::shared_ptr<std::uint64_t> run_ = std::make_shared<std::uint64_t>(0);
  // For the role's callbacks, which outlive runs: gone only with the node.
  std::shared_ptr<char> life_ = std::make_shared<char>(0);
};

}  // namespace hamirror::core
