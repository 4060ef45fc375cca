#include "core/node/node.h"

#include <utility>

#include "core/activity/resync_plan.h"
#include "core/canary.h"
#include "core/node/fast_resync.h"
#include "core/node/node_messages.h"
#include "io/assert.h"

namespace hamirror::core {
namespace {

constexpr const char* kGenerationFileName = "generation";
constexpr std::uint64_t kMaxGenerationFileBytes = 4096;

}  // namespace

Node::Node(io::Io& io, NodeConfig config, Listener listener)
    : io_(io), config_(std::move(config)), listener_(std::move(listener)) {
  HM_ASSERT(listener_.on_state_change && listener_.on_log);
  HM_ASSERT(!config_.name.empty() && !config_.peer.empty() && config_.name != config_.peer);
  HM_ASSERT(!config_.roots.empty());
  generation_file_ = std::make_unique<io::AtomicFile>(io_.fs, io::join_path(config_.state_dir, kGenerationFileName));
  auto module_log = [this](const std::string& line) { log(line); };
  application_ = std::make_unique<ApplicationControl>(
      io_, config_.application,
      ApplicationControl::Listener{.log = module_log,
                                   .application_log = [this](const std::string& line) {
                                     if (listener_.on_application_log) return listener_.on_application_log(line);
                                     log("application: " + line);
                                   }});
  role_ = std::make_unique<PrimaryRole>(
      io_, PrimaryRoleConfig{config_.name, config_.vip}, *application_,
      PrimaryRole::Hooks{.make_writable =
                             [this](PrimaryRole::HookDoneFn done) {
                               writable_ = true;
                               // A fence joined while this node became primary again
                               // refused writes after the new state set the policy
                               // (seed 1898): the state decides it, not the fence.
                               if (replicator_ && replicator_->policy() == AckPolicy::refuse) {
                                 if (state_ == NodeState::prim) replicator_->set_policy(AckPolicy::wait_for_secondary);
                                 if (state_ == NodeState::alone) replicator_->set_policy(AckPolicy::local_only);
                               }
                               done(io::Error::ok);
                             },
                         .make_read_only =
                             [this](PrimaryRole::HookDoneFn done) {
                               writable_ = false;
                               done(io::Error::ok);
                             },
                         // Fencing: nothing more is acknowledged, not even what waits.
                         .refuse_writes =
                             [this] {
                               writable_ = false;
                               if (replicator_) replicator_->set_policy(AckPolicy::refuse);
                               if (writes_) writes_->fail_waiting(io::Error::read_only);
                             }},
      module_log);
  if (config_.errd.processes.empty()) return;  // no errd
  checker_ = std::make_unique<ProcessChecker>(
      io_, config_.errd,
      ProcessChecker::Listener{.log = module_log, .on_action = [this](ProcessAction action, const std::string& reason) {
                                 on_errd_action(action, reason);
                               }});
}

Node::~Node() {
  run_.reset();
  life_.reset();
}

void Node::log(const std::string& line) { listener_.on_log(config_.name + ": " + line); }

void Node::set_state(NodeState state, const std::string& reason) {
  const NodeState from = state_;
  state_ = state;
  state_reason_ = reason;
  publish_status();
  if (from != state) listener_.on_state_change(from, state, reason);
  // Primary, this copy is the reference; synchronised, it holds the primary's data: a
  // crash before no longer says anything about it.
  if (is_primary(state)) last_run_crashed_ = false;
  if (from != NodeState::second && state == NodeState::second && lease_ && lease_->wants_lease()) {
    // A secondary leaves the lease to its primary: kept, it would make the primary
    // wait a whole term for it, and let this node take over later without the grace.
    lease_->want_lease(false);
  }
  log(std::string(node_state_name(from)) + " -> " + std::string(node_state_name(state)) + ": " + reason);
  follow_role(from, state, reason);
}

void Node::follow_role(NodeState from, NodeState to, const std::string& reason) {
  const bool was_primary = is_primary(from);
  const bool primary = is_primary(to);
  if (was_primary == primary) return;
  if (primary) return take_role(reason);
  auto alive = std::weak_ptr<char>(life_);
  if (checker_) checker_->stop("leaving the primary role");
  if (role_->state() == PrimaryRole::State::secondary && !role_->busy()) return;  // already left (a handover)
  auto report = [this, alive](const PrimaryRole::Outcome& outcome) {
    if (alive.lock() && !outcome.ok() && outcome.error != io::Error::cancelled) {
      log("leaving the primary role was incomplete: " + outcome.reason);
    }
  };
  // WAIT from a primary state is a fence (split brain, lease lost): clients must not
  // reach a copy that no longer acknowledges writes. SECOND and STOP leave gracefully.
  if (to == NodeState::wait) return role_->fence(reason, report);
  role_->leave_gracefully(reason, report);
}

// Takes the primary role, once an earlier episode's resources are settled: fence
// (idempotent) first. Several askers (a state change to primary, an abandoned swap)
// may join one fence; the first to find the role free takes it, the others find it
// taken or being taken (seed 5360: both called become_primary at the fence's end).
void Node::take_role(const std::string& reason) {
  auto alive = std::weak_ptr<char>(life_);
  auto take = [this, alive, reason] {
    if (!alive.lock() || !is_primary(state_)) return;
    if (role_->state() != PrimaryRole::State::secondary || role_->busy()) return;
    role_->become_primary(reason, [this, alive](const PrimaryRole::Outcome& outcome) {
      if (alive.lock()) on_role_taken(outcome);
    });
  };
  if (role_->state() == PrimaryRole::State::secondary && !role_->busy()) return take();
  role_->fence(reason + ": settling the previous primary episode before taking the role again",
               [take](const PrimaryRole::Outcome&) { take(); });
}

void Node::on_role_taken(const PrimaryRole::Outcome& outcome) {
  if (outcome.error == io::Error::cancelled) return;  // a later sequence took over
  if (!outcome.ok()) {
    // The application cannot run here: stop, so that the peer (if any) takes over.
    log("could not take the primary role (" + outcome.reason + "): stopping this node");
    return stop();
  }
  log("primary role taken: " + outcome.reason);
  if (checker_) checker_->start("the application started");
  maybe_fail_back();
}

// defaultprim="<node>": once the preferred node is back and synchronised, the role
// goes back to it (SafeKit's automatic failback). Waits for this node's own role to
// be settled, so the swap never races the application's start.
void Node::maybe_fail_back() {
  const ClusterPolicy& policy = config_.policy;
  if (policy.default_prim != DefaultPrim::node || policy.default_prim_node != config_.peer) return;
  if (state_ != NodeState::prim || handover_ || role_->state() != PrimaryRole::State::primary || role_->busy()) return;
  log("defaultprim is " + config_.peer + " and it is synchronised: handing the primary role back");
  (void)swap();
}

void Node::on_errd_action(ProcessAction action, const std::string& reason) {
  auto alive = std::weak_ptr<char>(life_);
  switch (action) {
    case ProcessAction::restart:
      log("errd: restarting the application (" + reason + ")");
      return role_->restart_application(reason, [this, alive](const PrimaryRole::Outcome& outcome) {
        if (!alive.lock() || outcome.error == io::Error::cancelled) return;
        if (!outcome.ok()) {
          log("errd: the application could not be restarted (" + outcome.reason + "): stopping this node");
          return stop();
        }
        checker_->start("the application was restarted");
      });
    case ProcessAction::stopstart:
      // SafeKit's stopstart: stop here (the peer takes over), then start again.
      log("errd: stop and start this node so the peer takes over (" + reason + ")");
      return stop([this, alive] {
        if (alive.lock()) start();
      });
    case ProcessAction::stop:
      log("errd: stopping this node (" + reason + ")");
      return stop();
  }
}

void Node::persist(GenerationInfo next, std::function<void()> then, std::function<bool()> superseded) {
  const io::Error queued = generation_file_->write(wire::encode_body(next), guarded([this, next, then, superseded](io::Error result) {
    if (result != io::Error::ok) {
      // Without a durable record no promise about the data can be kept: stop here.
      log("cannot persist the generation record: " + std::string(io::error_name(result)) + "; stopping");
      stop();
      return;
    }
    // A record already queued after this one replaces it on the disk: the peer never
    // hears of this one (it would take a generation nothing was written in for a
    // split brain).
    if (superseded && superseded()) return;
    generation_ = next;
    publish_status();
    then();
  }));
  HM_ASSERT(queued == io::Error::ok);  // transitions are rare: the queue never fills
}

void Node::start() {
  if (state_ != NodeState::stop) return;
  retired_copy_.reset();  // a stop's sync still under way: its run stays recorded as crashed
  activity_ = std::make_unique<ActivityTracker>(io_.fs, io_.clock, config_.state_dir, config_.activity,
                                                [this](std::string_view line) { log("activity record: " + std::string(line)); });
  // A primary that cannot record what may differ must not go on (ActivityLog): it
  // stops at once, so that a synchronised peer takes over, rather than when a writer
  // is first refused (seed 2580: a failed rewrite retiring extents left a PRIM serving
  // 13 s, then stopping while the cluster looked settled).
  activity_->set_failure_listener(guarded([this](io::Error) { on_activity_record_failed(); }));
  writes_ = std::make_unique<WritePath>(
      *activity_, [this] { return replicator_ ? replicator_->next_sequence() : next_sequence_; },
      [this](FileOp&& op, Replicator::DoneFn&& done) { return issue(std::move(op), std::move(done)); },
      [this](std::uint64_t sequence, const FileOp& shape, io::Error result) { on_write_completed(sequence, shape, result); });
  set_state(NodeState::wait, "starting: reading the data generation record");
  load_generation();
}

void Node::load_generation() {
  const std::string path = io::join_path(config_.state_dir, kGenerationFileName);
  io::read_whole_file(io_.fs, path, kMaxGenerationFileBytes, guarded([this](io::Result<io::Bytes> contents) {
    if (contents.error() == io::Error::not_found) {
      // First start: the directories are taken as they are, as a new generation. The
      // activity record exists before the generation does: a node with a generation
      // and no record lost it (everything counts as changed).
      log("no generation record: first start, this node's directories start a new data generation");
      return activity_->load(true, guarded([this](io::Error created) {
        if (created != io::Error::ok) {
          return set_state(NodeState::stop, "cannot create the activity record: " + std::string(io::error_name(created)));
        }
        GenerationInfo first = start_new_generation(GenerationInfo{}, io_.random);
        first.running = true;
        persist(first, [this] { begin(); });
      }));
    }
    if (!contents) {
      set_state(NodeState::stop, "cannot read the generation record: " + std::string(io::error_name(contents.error())));
      return;
    }
    auto decoded = wire::decode_body<GenerationInfo>(contents.value());
    if (!decoded) {
      set_state(NodeState::stop, "the generation record is damaged (" + decoded.error() + "); an admin must decide");
      return;
    }
    generation_ = std::move(decoded).value();
    last_run_crashed_ = generation_.running;
    if (last_run_crashed_) log("this copy may lack writes it had not made durable: a run ended in a crash and no resynchronisation has repaired it since");
    activity_->load(false, guarded([this](io::Error loaded) {
      if (loaded != io::Error::ok) {
        return set_state(NodeState::stop, "cannot read the activity record: " + std::string(io::error_name(loaded)));
      }
      next_sequence_ = std::max(next_sequence_, activity_->marked_through() + 1);
      // Set until the clean stop: a crash from now on is found at the next start.
      GenerationInfo next = generation_;
      next.running = true;
      persist(next, [this] { begin(); });
    }));
  }));
}

void Node::begin() {
  PeerMonitorConfig monitor_config{config_.name, config_.peer, config_.heartbeat_networks, config_.pulse_ms, config_.timeout_ms};
  monitor_ = std::make_unique<PeerMonitor>(
      io_, monitor_config,
      PeerMonitor::Listener{
          .on_network_change = guarded([this](const std::string& network, bool up, const std::string& reason) {
            log("heartbeat network '" + network + "' " + (up ? "up" : "down") + " (" + reason + ")");
          }),
          .on_peer_change = guarded([this](bool up, const std::string& reason) { on_peer_change(up, reason); }),
          .on_peer_status = guarded([this](std::uint8_t peer_state, bool outdated, bool requests) {
            on_peer_status(peer_state, outdated, requests);
          })});
  publish_status();
  if (const io::Error started = monitor_->start(); started != io::Error::ok) {
    return set_state(NodeState::stop, "cannot open the heartbeat ports: " + std::string(io::error_name(started)));
  }
  if (config_.witness) {
    lease_ = std::make_unique<witness::LeaseClient>(
        io_, witness::LeaseClientConfig{config_.name, config_.witness->local, config_.witness->server},
        witness::LeaseClient::Listener{
            .on_acquired = guarded([this](std::uint64_t epoch, const std::string& why) { on_lease_acquired(epoch, why); }),
            .on_lost = guarded([this](const std::string& why) { on_lease_lost(why); }),
            .on_stale = guarded([this](const std::string& why) { log("the witness refuses the lease: " + why); }),
            .on_recorded = guarded([this](std::uint64_t) {
              if (replicator_) replicator_->recheck_alone_gate();
            }),
            .on_problem = guarded([this](const std::string& problem) { log(problem); })});
    if (const io::Error started = lease_->start(); started != io::Error::ok) {
      return set_state(NodeState::stop, "cannot open the witness lease port: " + std::string(io::error_name(started)));
    }
  }
  auto listening = io_.network.listen(config_.replication_local, guarded([this](std::unique_ptr<io::StreamConnection> s) {
    accept_link(std::move(s));
  }));
  if (!listening) {
    return set_state(NodeState::stop, "cannot listen on the replication port " + io::to_string(config_.replication_local) +
                                          ": " + std::string(io::error_name(listening.error())));
  }
  link_listener_ = std::move(listening).value();
  start_timer_ = io_.clock.make_timer();
  start_timer_->start(config_.timeout_ms * io::kNsPerMs, 0, guarded([this] { on_start_timeout(); }));
  set_state(NodeState::wait, "waiting for " + config_.peer + " (up to " + std::to_string(config_.timeout_ms) + " ms)");
}

void Node::on_start_timeout() {
  // Only for a node that never met its peer in this run: one that did knows how their
  // data relate, and waits for the peer rather than trusting its own copy.
  if (state_ != NodeState::wait || peer_hello_seen_ || met_peer_) return;
  if (monitor_ && monitor_->peer_up()) {
    // The peer's heartbeats arrive but no replication link came up: the peer is alive
    // and may be serving newer data (it took over while this node was down). Going
    // ALONE here is a split brain made by hand; wait for the link, or for the peer to
    // fall silent on every heartbeat network (on_peer_lost decides again then).
    start_deferred_ = true;
    return set_state(NodeState::wait, config_.peer + " is up (heartbeats) but the replication link is not: waiting for "
                                      "the link before deciding which copy serves");
  }
  start_deferred_ = false;
  const AloneDecision decision = decide_alone_at_start(generation_, config_.policy, last_run_crashed_);
  if (!decision.go_alone) return set_state(NodeState::wait, decision.reason);
  if (lease_ && !lease_->holds_lease()) {
    alone_at_start_ = true;
    want_lease();
    return set_state(NodeState::wait, decision.reason + "; waiting for the witness lease");
  }
  go_alone(decision.reason);
}

void Node::want_lease() {
  if (lease_ && !lease_->wants_lease()) lease_->want_lease(true);
}

void Node::on_lease_acquired(std::uint64_t epoch, const std::string& reason) {
  log("witness lease granted (epoch " + std::to_string(epoch) + "): " + reason);
  if (lease_force_) {
    lease_force_ = false;
    publish_status();
  }
  if (replicator_) replicator_->recheck_alone_gate();
  if (pending_alone_ && state_ == NodeState::wait) {
    PendingAlone pending = std::move(*pending_alone_);
    pending_alone_.reset();
    return go_alone(pending.reason + "; the witness granted the lease", std::move(pending.then));
  }
  if (state_ == NodeState::second && taking_over_ && !link_) {
    taking_over_ = false;
    const AloneDecision decision = decide_on_primary_lost(generation_, config_.policy, true, true);
    if (!decision.go_alone) return set_state(NodeState::wait, decision.reason);
    return go_alone(decision.reason);
  }
  if (state_ == NodeState::wait && alone_at_start_ && !link_) {
    alone_at_start_ = false;
    const AloneDecision decision = decide_alone_at_start(generation_, config_.policy, last_run_crashed_);
    if (!decision.go_alone) return set_state(NodeState::wait, decision.reason);
    go_alone(decision.reason + "; the witness granted the lease");
  }
}

// By the time the witness may grant the lease to the peer, this node has stopped
// acknowledging (the gate asks the live clock) and dropped its VIP (the fence), with
// kStepDownMs to spare (core/witness/lease_timing.h).
void Node::on_lease_lost(const std::string& reason) {
  log("witness lease lost: " + reason);
  if (fence_if_cut_off_without_lease()) return;
  if (state_ == NodeState::alone) {
    alone_at_start_ = true;  // ALONE again once granted, if the peer is still away
    want_lease();
    set_state(NodeState::wait, "the witness lease ran out while acknowledging writes alone: fenced (" + reason + ")");
  }
}

void Node::on_peer_change(bool up, const std::string& reason) {
  log(std::string("peer ") + config_.peer + (up ? " is up (" : " is down (") + reason + ")");
  if (!up) return on_peer_lost(reason);
  try_connect();
}

void Node::try_connect() {
  // One side connects, the other accepts: no two links to reconcile.
  if (config_.name > config_.peer || link_ || connecting_ || state_ == NodeState::stop) return;
  connecting_ = true;
  io_.network.connect(config_.replication_peer, guarded([this](io::Result<std::unique_ptr<io::StreamConnection>> stream) {
    connecting_ = false;
    if (stream) return set_link(std::move(stream).value());
    log("replication link to " + io::to_string(config_.replication_peer) + " failed: " + std::string(io::error_name(stream.error())));
    reconnect_later();
  }));
}

// One pulse later, and only while the peer is heard: a link that fails at once (a
// protocol error) must not turn into a reconnection loop.
void Node::reconnect_later() {
  if (!monitor_ || !monitor_->peer_up()) return;
  if (!connect_timer_) connect_timer_ = io_.clock.make_timer();
  connect_timer_->start(config_.pulse_ms * io::kNsPerMs, 0, guarded([this] { try_connect(); }));
}

void Node::accept_link(std::unique_ptr<io::StreamConnection> stream) {
  if (link_ || config_.name < config_.peer) {
    log("refusing an extra replication connection from " + io::to_string(stream->remote_address()));
    return;  // destroying the stream closes it
  }
  set_link(std::move(stream));
}

void Node::set_link(std::unique_ptr<io::StreamConnection> stream) {
  log("replication link up with " + io::to_string(stream->remote_address()));
  link_ = std::make_unique<wire::FramedConnection>(
      std::move(stream),
      wire::FramedConnection::Handlers{
          .on_frame = guarded([this](const wire::Frame& frame) { on_frame(frame); }),
          .on_error = guarded([this](const std::string& reason) { on_link_lost("protocol error: " + reason); }),
          .on_close = guarded([this](io::Error reason) { on_link_lost(std::string(io::error_name(reason))); }),
          .on_writable = guarded([this] {
            if (replicator_) replicator_->on_writable();
            if (replica_) replica_->on_writable();
            if (source_) source_->on_writable();
            if (target_) target_->on_writable();
          })});
  peer_hello_seen_ = false;
  link_heard_ns_ = io_.clock.now_ns();
  if (!link_watch_timer_) link_watch_timer_ = io_.clock.make_timer();
  const std::int64_t pulse_ns = config_.pulse_ms * io::kNsPerMs;
  link_watch_timer_->start(pulse_ns, pulse_ns, guarded([this] { watch_link(); }));
  hello_marks_ = activity_->marks();
  hello_consistent_ = generation_.consistent;
  (void)link_->send(NodeHello{config_.name, state_, generation_, seal_marks(hello_marks_), last_run_crashed_});
}

void Node::watch_link() {
  if (!link_) return link_watch_timer_->stop();
  if (monitor_ && monitor_->peer_up()) return;  // heartbeats flow: an idle link is fine
  // Only a secondary ends it: its takeover waits for the link. A primary that ended it
  // while holding the witness lease would go on alone in a new generation the cut-off
  // witness never records, and meet its peer as a split brain (found by the e2e link
  // cut); it keeps waiting for the kernel to drop the connection, writes held.
  if (state_ != NodeState::second) return;
  const std::int64_t silent_ms = (io_.clock.now_ns() - link_heard_ns_) / io::kNsPerMs;
  if (silent_ms < config_.timeout_ms) return;
  link_->fail("every heartbeat network is silent and the replication link carried nothing for " +
              std::to_string(silent_ms) + " ms: the peer is taken for gone");
}

void Node::on_frame(const wire::Frame& frame) {
  link_heard_ns_ = io_.clock.now_ns();
  if (frame.header.type == wire::MessageType::node_hello) {
    auto hello = wire::decode_message<NodeHello>(frame);
    if (!hello) return link_->fail(hello.error());
    if (hello.value().node_name != config_.peer) return link_->fail("hello from '" + hello.value().node_name + "', not " + config_.peer);
    return on_peer_hello(hello.value());
  }
  if (frame.header.type == wire::MessageType::role_handover) {
    auto handover = wire::decode_message<RoleHandover>(frame);
    if (!handover) return link_->fail(handover.error());
    return on_role_handover(handover.value());
  }
  if (frame.header.type == wire::MessageType::role_handover_ack) {
    auto ack = wire::decode_message<RoleHandoverAck>(frame);
    if (!ack) return link_->fail(ack.error());
    if (!handover_ || handover_->phase != Handover::Phase::awaiting_ack) return link_->fail("role_handover_ack never asked for");
    return on_handover_ack(ack.value());
  }
  std::string problem = "unexpected frame before the roles were settled";
  if (replicator_ && replicator_->attached()) problem = replicator_->on_frame(frame);
  else if (source_ && source_->running()) problem = source_->on_frame(frame);
  else if (target_ && !target_->synchronised()) problem = target_->on_frame(frame);
  else if (replica_) problem = replica_->on_frame(frame);
  if (!problem.empty() && link_) link_->fail(problem);
}

void Node::on_peer_hello(const NodeHello& hello) {
  peer_hello_seen_ = true;
  met_peer_ = true;
  start_deferred_ = false;
  std::string why;
  if (auto marks = open_marks(hello.marks, why)) {
    peer_marks_ = std::move(*marks);
  } else {
    log("the peer's marks cannot be read (" + why + "): everything counts as changed");
    peer_marks_ = DirtyMap();
    peer_marks_.mark_everything();
  }
  const NodeView local{config_.name, state_, generation_, last_run_crashed_};
  const NodeView peer{hello.node_name, hello.state, hello.generation, hello.crashed};
  const MeetingDecision decision = decide_on_meeting(local, peer, config_.policy);
  log("met " + hello.node_name + " (" + std::string(node_state_name(hello.state)) + ", data " +
      std::string(data_relation_name(compare(generation_, hello.generation))) + "): " + decision.reason);
  if (decision.split_brain) {
    log("*** SPLIT BRAIN DETECTED *** " + decision.reason);
    if (listener_.on_split_brain) listener_.on_split_brain(decision.reason);
    diverged_peer_generation_ = hello.generation.current;
    if (!generation_.split_brain) {
      // Remembered across restarts: neither side goes ALONE by itself until resolved.
      GenerationInfo next = generation_;
      next.split_brain = true;
      persist(next, [] {});
    }
  }
  carry_out(decision, hello);
}

void Node::carry_out(const MeetingDecision& decision, const NodeHello& peer) {
  pending_alone_.reset();  // the meeting decides now
  const bool same_generation = compare(generation_, peer.generation) == DataRelation::same && generation_.consistent &&
                               peer.generation.consistent && !generation_.outdated && !peer.generation.outdated;
  // The same generation is the same data only if neither record says otherwise (a
  // crash of either copy leaves its unfinished ops' extents marked).
  // Ops sent on a lost link (an fsync has no marks) can be settled only by a
  // reintegration: the new link's secondary never saw them.
  const bool ops_in_limbo = replicator_ && replicator_->awaiting_secondary() > 0;
  const bool same_data = same_generation && activity_->marks().empty() && peer_marks_.empty() && !ops_in_limbo;
  switch (decision.role) {
    case Role::wait:
      // A primary told to wait stops acknowledging writes at once (fencing).
      if (replicator_) replicator_->set_policy(AckPolicy::refuse);
      if (writes_) writes_->fail_waiting(io::Error::read_only);
      return set_state(NodeState::wait, decision.reason);
    case Role::primary:
      if (decision.reintegration == Reintegration::none && !same_data) {
        // This node stays primary and the peer waits (a split brain, or data the peer
        // will not let be overwritten): nothing travels until an admin decides.
        return log("staying " + std::string(node_state_name(state_)) + "; " + config_.peer + " waits: " + decision.reason);
      }
      if (!same_data) return reintegrate_peer(decision.reason, fast_reintegration_possible(peer));
      return become_primary_with_secondary(decision.reason);
    case Role::secondary:
      if (hello_consistent_ && changed_since_hello()) {
        // The peer plans from the marks of this node's hello, and this copy applied
        // an op since (a primary thawed from a freeze, whose held ops land between
        // its hello and the meeting): a fast plan would miss it (property
        // counterexample 32822). The peer's data wins either way: this copy is
        // marked inconsistent and fenced as a target would be, and compared in full
        // at the next meeting.
        mark_copy_inconsistent();
        if (replicator_) replicator_->set_policy(AckPolicy::refuse);
        if (writes_) writes_->fail_waiting(io::Error::read_only);
        set_state(NodeState::wait, "this copy changed after its hello to " + config_.peer +
                                   ": marked inconsistent, the nodes meet again");
        return fail_link_soon("this copy changed after its hello");
      }
      if (lease_ && lease_->wants_lease()) {
        // A meeting that makes this node secondary ends any takeover it was waiting
        // for: a lease granted just now goes back at once, or the primary would wait
        // for it forever (seed 729: SECOND -> SECOND keeps the state, so set_state's
        // own give-up does not run).
        taking_over_ = false;
        lease_->want_lease(false);
      }
      if (!same_data) return be_reintegrated(decision.reason);
      return become_secondary(peer.generation, decision.reason);
  }
}

// Fast only when the peer's copy is the point this node's marks start from: the
// same generation (each side's marks cover what it did since), or the generation
// this node left when it went on alone (its marks cover everything since, as they
// are forgotten only once both copies are equal again). Diverged, unrelated, older
// or interrupted copies are compared in full.
bool Node::fast_reintegration_possible(const NodeHello& peer) const {
  if (!peer.generation.consistent || !generation_.consistent || activity_->failed()) return false;
  const DataRelation relation = compare(generation_, peer.generation);
  if (relation == DataRelation::same) return true;
  return relation == DataRelation::local_newer && !generation_.history.empty() &&
         generation_.history.front() == peer.generation.current;
}

// One replicator per primary episode, whichever way it began (settled as PRIM, or
// ALONE after a failover and PRIM again after reintegrating the peer): a secondary
// that fails an op is always reported and its link dropped.
void Node::ensure_replicator() {
  if (replicator_) return;
  replicator_ = std::make_unique<Replicator>(
      io_.fs, config_.roots,
      Replicator::Listener{.on_secondary_failed = guarded([this](std::uint64_t sequence, io::Error result) {
        log("the secondary failed op " + std::to_string(sequence) + " (" + std::string(io::error_name(result)) +
            "): its copy differs and must be reintegrated");
        if (link_) link_->fail("secondary copy diverged");
      }),
                           .on_local_failed = guarded([this](std::uint64_t sequence, io::Error result) {
                             on_local_disk_error(sequence, result);
                           })},
      next_sequence_);
  // With a witness, nothing is acknowledged alone unless the lease is held right then.
  // Alone, an acknowledgement needs the lease AND the witness's record of this
  // copy's generation: the peer is then never granted the lease on older data.
  if (lease_) replicator_->set_alone_gate([this] { return lease_ && lease_->may_acknowledge_alone(generation_.current); });
}

void Node::become_primary_with_secondary(const std::string& reason) {
  // The link is used at once (the secondary is ready for the first frame as soon as
  // it has decided too); the record of the role follows.
  ensure_replicator();
  replicator_->set_policy(AckPolicy::wait_for_secondary);
  replicator_->attach(*link_);
  want_lease();  // held all along, so that losing the secondary needs no wait
  activity_->end_alone();
  if (!activity_->marks().empty()) {
    // Equal copies now; once both are durable the marks are no longer needed.
    forget_marks_after_ = replicator_->next_sequence() - 1;
    request_checkpoint();
  }
  if (!checkpoint_timer_) checkpoint_timer_ = io_.clock.make_timer();
  const std::int64_t interval_ns = config_.checkpoint_interval_ms * io::kNsPerMs;
  checkpoint_timer_->start(interval_ns, interval_ns, guarded([this] {
    if (activity_->active_extents() > 0 || forget_marks_after_) request_checkpoint();
  }));
  set_state(NodeState::prim, reason);
  writes_->kick();
  maybe_fail_back();
  GenerationInfo next = generation_;
  next.last_role = LastRole::primary;
  next.split_brain = false;  // the peer is a faithful copy now
  next.paired = true;
  persist(next, [] {});
}

void Node::become_secondary(const GenerationInfo& primary_generation, const std::string& reason) {
  // Ready for the primary's first frame before anything else: it may follow at once.
  drop_replicator();
  source_.reset();  // a reintegration this node ran as primary is long finished
  replica_ = std::make_unique<Replica>(io_.fs, config_.roots, config_.async_mode,
                                       Replica::Listener{.on_apply_failed = guarded([this](std::uint64_t sequence, io::Error e) {
                                         on_acknowledged_op_failed(sequence, e);
                                       })});
  replica_->attach(*link_);
  last_run_crashed_ = false;
  set_state(NodeState::second, reason + "; synchronised");
  GenerationInfo next = primary_generation;
  next.last_role = LastRole::secondary;
  next.outdated = false;
  next.consistent = true;
  next.paired = true;
  persist(next, [] {});
}

// Under async "second" this copy acknowledged the op on receipt and the primary's
// writer was told it is safe: this copy now lacks a write the cluster acknowledged.
// It is marked inconsistent (in memory at once, durably next) so that it never takes
// over, and is compared in full at the next meeting (seed 2363: the primary stopped
// before it could ask this copy to mark itself outdated, and this copy took over
// without the write).
void Node::on_acknowledged_op_failed(std::uint64_t sequence, io::Error result) {
  log("failed to apply op " + std::to_string(sequence) + " (" + std::string(io::error_name(result)) +
      ") it had acknowledged: this copy is no longer a mirror and is marked inconsistent");
  mark_copy_inconsistent();
  if (link_) link_->fail("secondary copy diverged");
}

// In memory at once (nothing promotes this copy from now on), durably next.
void Node::mark_copy_inconsistent() {
  generation_.consistent = false;
  publish_status();
  persist(generation_, [] {});
}

// Marks only grow (dirty_map.h): they changed when the union with the hello's is more.
bool Node::changed_since_hello() const {
  DirtyMap both = hello_marks_;
  both.merge(activity_->marks());
  return both != hello_marks_;
}

void Node::reintegrate_peer(const std::string& reason, bool fast) {
  // While the peer is reintegrated this copy acknowledges writes alone (the peer is
  // durably inconsistent and cannot take over): that needs a new generation first.
  auto begin = [this, reason, fast] {
    if (!link_) return log("the replication link broke before the reintegration could start");
    source_ = std::make_unique<ReintegrationSource>(
        io_.fs, io_.clock, config_.roots, generation_,
        [this](FileOp&& op, ReintegrationSource::DoneFn&& done) { return replicator_->submit(std::move(op), std::move(done)); },
        ReintegrationSource::Listener{
            .on_synchronised = guarded([this] {
              last_reintegration_ = source_->progress();
              log(std::string(last_reintegration_fast_ ? "fast" : "full") + " reintegration of " + config_.peer +
                  " finished: " + std::to_string(last_reintegration_.bytes_done) + " bytes compared or sent, " +
                  std::to_string(last_reintegration_.data_bytes_sent) + " data bytes sent");
              if (state_ != NodeState::alone) {
                // Fenced meanwhile (the lease ran out): this node is no primary to pair
                // with. The nodes meet again and decide afresh.
                log("the reintegration finished while this node was " + std::string(node_state_name(state_)) +
                    ": meeting " + config_.peer + " again");
                return fail_link_soon("the reintegration finished while this node was not primary");
              }
              become_primary_with_secondary(config_.peer + " is synchronised");
            }),
            .on_failed = guarded([this](std::string why) {
              log("reintegration of " + config_.peer + " failed: " + why);
              fail_link_soon("reintegration failed");
            })},
        config_.reintegration_reads);
    log("reintegration of " + config_.peer + " begins (" + reason + ")");
    if (!fast) return start_reintegration(std::nullopt, "the peer's data is not the point this node's record starts from");
    // The plan must see every op applied here: new ops wait until those in flight are done.
    planning_ = true;
    plan_and_start_reintegration();
  };
  if (state_ == NodeState::alone) return begin();
  go_alone(reason + "; reintegrating " + config_.peer, begin);
}

void Node::plan_and_start_reintegration() {
  if (!planning_ || !source_ || replicator_->in_flight() > 0) return;  // called again on each completion
  DirtyMap marks = activity_->marks();
  marks.merge(peer_marks_);
  plan_resync(io_.fs, config_.roots, std::move(marks), guarded([this](io::Result<ResyncPlan> plan) {
    if (!planning_ || !source_) return;
    if (!plan) return start_reintegration(std::nullopt, "planning failed: " + std::string(io::error_name(plan.error())));
    const ResyncCounters& counters = plan.value().counters;
    log("fast reintegration plan: " + std::to_string(counters.bytes_to_send) + " bytes in " + std::to_string(counters.files) +
        " files, " + std::to_string(counters.directories) + " directories, " + std::to_string(counters.removals) + " removals");
    start_reintegration(to_fast_resync_input(plan.value()), "the activity record cannot bound the differences");
  }));
}

void Node::start_reintegration(std::optional<FastResyncInput> fast, const std::string& why_full) {
  HM_ASSERT(source_ && link_);
  planning_ = false;
  last_reintegration_fast_ = fast.has_value();
  if (fast) {
    log("fast reintegration of " + config_.peer + " started");
    source_->start_fast(*link_, std::move(*fast));
  } else {
    log("full reintegration of " + config_.peer + " started (" + why_full + ")");
    source_->start_full(*link_);
  }
  writes_->kick();
}

void Node::be_reintegrated(const std::string& reason) {
  drop_replicator();
  replica_.reset();
  // From this meeting on the peer's data wins and may be acknowledged alone while the
  // link is down: this copy is marked inconsistent at once (in memory now, durably
  // next), not only when the peer's first reintegration frame arrives, so a restart
  // before that frame never finds a copy that believes itself up to date.
  GenerationInfo marked = generation_;
  marked.consistent = false;
  generation_ = marked;
  publish_status();
  auto persist_generation = [this](const GenerationInfo& info, std::function<void(io::Error)> done) {
    const io::Error queued = generation_file_->write(wire::encode_body(info), std::move(done));
    HM_ASSERT(queued == io::Error::ok);  // a reintegration writes the record twice: the queue never fills
  };
  persist_generation(marked, guarded([this](io::Error result) {
    if (result != io::Error::ok) {
      log("cannot mark this copy inconsistent: " + std::string(io::error_name(result)) + "; stopping");
      stop();
    }
  }));
  target_ = std::make_unique<ReintegrationTarget>(
      io_.fs, config_.roots, persist_generation, generation_,
      ReintegrationTarget::Listener{.on_synchronised = guarded([this] {
        // The target stays (idle) until the link goes: this runs inside its callback.
        generation_ = target_->generation();  // the primary's generation, consistent
        // This copy is the primary's now, and durable: its own marks say nothing more.
        activity_->end_alone();
        activity_->forget_marks(guarded([this](io::Error result) {
          if (result != io::Error::ok) log("cannot clear the dirty record: " + std::string(io::error_name(result)));
        }));
        become_secondary(generation_, "reintegration finished");
      })});
  target_->attach(*link_);
  set_state(NodeState::second, reason + "; synchronising (full reintegration)");
}

// The target wrote the generation record itself (consistent=false, then the
// primary's generation): the node's copy must follow it, never overwrite it.
void Node::adopt_target_generation() {
  if (!target_ || target_->synchronised()) return;
  generation_ = target_->generation();
  publish_status();
}

void Node::publish_status() {
  if (lease_) {
    // The witness grants the lease to a node only on data at least as new as what the
    // holder acknowledged alone: it is told this copy's generation with every request.
    lease_->set_data({generation_.current, generation_.history, lease_force_});
  }
  if (monitor_) {
    monitor_->set_local_status(static_cast<std::uint8_t>(state_), generation_.outdated, requesting_outdate_, generation_.current);
  }
}

void Node::on_link_lost(const std::string& reason) {
  log("replication link lost: " + reason);
  if (handover_) abandon_handover("the replication link was lost (" + reason + ")");
  if (state_ == NodeState::stop) return;
  link_.reset();  // FramedConnection allows its handlers to destroy it
  peer_hello_seen_ = false;
  if (replicator_) replicator_->detach();
  if (replica_) replica_->detach();
  if (source_) {
    const bool peer_may_be_synchronised = source_->done_sent();
    source_->detach();
    source_.reset();  // the peer stays inconsistent; the next meeting starts again
    planning_ = false;
    if (peer_may_be_synchronised && state_ == NodeState::alone) {
      // The peer adopted this generation at the end of the reintegration (resync_done)
      // and may hold it as a synchronised copy; the link broke before it said so. This
      // node is then a PRIM that lost its secondary: writes wait, and it goes on alone
      // only as a PRIM may (the peer outdated, gone, or the lease held), in a new
      // generation (property counterexample 219494: it went on alone in this one,
      // crashed, and the peer won the meeting as "the copy that did not crash").
      replicator_->set_policy(AckPolicy::wait_for_secondary);
      set_state(NodeState::prim, config_.peer + " may hold this generation as a synchronised copy (its "
                                 "reintegration finished, the confirmation was cut off)");
    }
    writes_->kick();
  }
  if (target_ && target_->synchronised()) {
    target_->detach();
    target_.reset();  // done; the Replica served the link since
  } else if (target_) {
    target_->detach();
    adopt_target_generation();
    target_.reset();
    reconnect_later();  // the reintegration starts again on the next link
    return set_state(NodeState::wait, "replication link lost during the reintegration (" + reason + "): this copy is "
                                      "inconsistent until a reintegration completes");
  }
  const bool peer_alive = monitor_ && monitor_->peer_up();
  if (state_ == NodeState::second) {
    if (!generation_.consistent) {
      reconnect_later();  // a new link brings this copy back, compared in full
      return set_state(NodeState::wait, "replication link lost (" + reason + "); this copy lacks an op it had "
                                        "acknowledged: inconsistent until a reintegration completes");
    }
    if (!peer_alive) return on_peer_lost("no heartbeat either");
    set_state(NodeState::second, "replication link lost (" + reason + "); the primary decides: it asks this copy to "
                                 "mark itself outdated, or it is gone and this node takes over");
    if (monitor_->peer_requests_outdate()) mark_outdated();
    return reconnect_later();  // a new link brings this copy back (reintegrated if outdated)
  }
  if (state_ == NodeState::prim) {
    if (!peer_alive) return primary_without_secondary("the secondary is gone: replication link lost and no heartbeat");
    if (lease_ && !lease_->holds_lease()) {
      // Without the lease and without the link, nothing can be acknowledged here (alone
      // needs the lease), and the secondary may hold the lease already: the heartbeats
      // that say it is alive may be stale (seed 819: a PRIM thawing from a VM stall
      // kept the VIP its secondary had taken over). Fenced until the lease is back.
      primary_without_secondary("the replication link is lost (" + reason + ") and the witness lease ran out");
      return reconnect_later();
    }
    if (lease_ && lease_->holds_lease()) {
      // The secondary takes over only with the lease, and the witness grants it no
      // lease on the generation this node is about to leave: no outdate exchange needed.
      go_alone("the replication link is lost (" + reason + ") and this node holds the witness lease");
      return reconnect_later();  // the peer is alive: a new link reintegrates it
    }
    // Writes wait until the secondary confirms, over the heartbeats, that its copy is
    // outdated (then it cannot take over).
    requesting_outdate_ = true;
    publish_status();
    log("writes wait: asking the secondary, over the heartbeat networks, to mark itself outdated");
    const bool confirmed = peer_outdated_for_our_generation() ||
                           canary_planted(ProtocolCanary::alone_without_outdated_confirmation);  // CANARY
    if (confirmed) go_alone("the secondary marked itself outdated");
  }
  if (peer_alive) reconnect_later();
}

// Only an outdated mark for the generation both nodes share answers this primary's
// request: a mark left from an earlier episode (an older generation) says nothing
// about the copy the secondary holds now.
bool Node::peer_outdated_for_our_generation() const {
  return monitor_ && monitor_->peer_outdated() && monitor_->peer_generation() == generation_.current;
}

// The primary is alive and goes on alone once this copy is outdated: whatever this node
// had begun on the belief that the primary was gone (taking over, its copy being made
// durable) yields, and nothing starts it again until the mark is durable (seed 7456: a
// secondary thawing from a freeze began taking over, then heard the primary's request,
// marked itself outdated -- and the takeover, resumed when its copy was durable, made
// both nodes ALONE while their heartbeats flowed).
void Node::mark_outdated() {
  if (marking_outdated_) return;  // the mark is on its way to the disk
  marking_outdated_ = true;
  cancel_going_alone("the primary is alive and asks this copy to mark itself outdated");
  GenerationInfo next = generation_;
  next.outdated = true;
  persist(next, [this] {
    marking_outdated_ = false;
    set_state(NodeState::wait, "the primary lost the replication link and goes on alone: this copy is durably "
                               "marked outdated and will not take over");
  });
}

void Node::on_peer_status(std::uint8_t peer_state, bool peer_outdated, bool peer_requests_outdate) {
  log("peer reports " + std::string(node_state_name(static_cast<NodeState>(peer_state))) +
      (peer_outdated ? ", data outdated" : "") + (peer_requests_outdate ? ", asks this copy to mark itself outdated" : ""));
  if (state_ == NodeState::second && !link_ && peer_requests_outdate && !generation_.outdated) mark_outdated();
  if (state_ == NodeState::prim && requesting_outdate_ && peer_outdated && peer_outdated_for_our_generation()) {
    go_alone("the secondary marked itself outdated");
  }
}

// A PRIM without the lease whose every heartbeat network is silent is cut off: the
// secondary may be granted the lease (kStepDownMs after this one ran out), and the
// link is only a half-open TCP connection waiting for the kernel. Ending it fences
// this node now (primary_without_secondary without the lease: WAIT, VIP removed)
// rather than when the kernel gives up (found by the e2e link cut: both nodes held
// the VIP for seconds). Whichever comes last -- lease lost or heartbeats silent -- acts.
bool Node::fence_if_cut_off_without_lease() {
  if (state_ != NodeState::prim || !link_ || !lease_ || lease_->holds_lease() || !monitor_ || monitor_->peer_up()) {
    return false;
  }
  link_->fail("the witness lease ran out and every heartbeat network is silent: fencing");
  return true;
}

void Node::on_peer_lost(const std::string& reason) {
  if (fence_if_cut_off_without_lease()) return;
  if (link_) {
    // The replication link still works: the peer is alive whatever the heartbeats say.
    return log("every heartbeat network is silent but the replication link is up: not acting");
  }
  if (state_ == NodeState::prim) return primary_without_secondary("the secondary is gone: " + reason);
  if (start_deferred_) return on_start_timeout();  // the peer was heard at start, and now is silent
  if (state_ != NodeState::second) return;
  const AloneDecision decision = decide_on_primary_lost(generation_, config_.policy, lease_ != nullptr, holds_lease());
  if (!decision.go_alone && lease_ && config_.policy.failover && may_promote_itself(generation_)) {
    taking_over_ = true;
    want_lease();
    return set_state(NodeState::second, "the primary is gone; taking over once the witness grants the lease");
  }
  if (!decision.go_alone) return set_state(NodeState::wait, decision.reason);
  go_alone(decision.reason);
}

void Node::primary_without_secondary(const std::string& reason) {
  if (lease_ && !lease_->holds_lease()) {
    alone_at_start_ = true;
    want_lease();
    return set_state(NodeState::wait, reason + "; this node does not hold the witness lease: fenced");
  }
  go_alone(reason);
}

// This copy failed an op its secondary may have applied: the copies may differ there.
// A full disk: the link is dropped at once, before a checkpoint could retire the op's
// extent, so the next meeting resends it from this copy. An I/O error: this disk can
// no longer be trusted; the node stops and its synchronised peer takes over.
void Node::on_local_disk_error(std::uint64_t sequence, io::Error result) {
  if (state_ != NodeState::prim) return;  // alone, the error reaches the writer and nothing differs
  log("this copy failed op " + std::to_string(sequence) + " (" + std::string(io::error_name(result)) + ")");
  if (result == io::Error::io_error) {
    // The secondary may have applied what this copy failed: the copies differ within
    // one generation, where no activity mark is sure to survive (a later checkpoint
    // may retire the extent). Inconsistent, this copy is never promoted by itself and
    // is compared in full at the next meeting (seed 862).
    mark_copy_inconsistent();  // at once: the stop's own record carries it too
    return stop_soon("the local disk reports I/O errors: this copy is marked inconsistent; stopping this node so "
                     "that " + config_.peer + " takes over");
  }
  if (link_) link_->fail("this copy could not apply an op the secondary may have applied");
}

// From inside a Replicator callback: the stop destroys the Replicator, so it happens
// on the next turn of the loop.
// From inside the reintegration source's own callback: dropping the link destroys the
// source, so it happens on the next turn of the loop.
void Node::fail_link_soon(const std::string& why) {
  if (!reintegration_failed_timer_) reintegration_failed_timer_ = io_.clock.make_timer();
  reintegration_failed_timer_->start(0, 0, guarded([this, why] {
    if (link_) link_->fail(why);
  }));
}

void Node::stop_soon(const std::string& why) {
  if (disk_failure_timer_ && disk_failure_timer_->active()) return;  // already on its way
  log(why);
  if (!disk_failure_timer_) disk_failure_timer_ = io_.clock.make_timer();
  disk_failure_timer_->start(0, 0, guarded([this] { stop(); }));
}

void Node::set_failover(bool on) {
  config_.policy.failover = on;
  log(std::string("failover ") + (on ? "on: the secondary takes over when the primary is gone"
                                     : "off: the secondary never takes over by itself"));
}

void Node::go_alone(const std::string& reason, std::function<void()> then) {
  if (marking_outdated_) {
    return log("not going alone (" + reason + "): this copy is being marked outdated for " + config_.peer +
               ", which goes on alone");
  }
  if (alone_attempt_) {
    // The new generation is on its way to the disk: what this request meant to do
    // next (a reintegration to start) runs once it is there, with the first one's.
    log("going alone already under way; then also: " + reason);
    if (then) after_alone_.push_back(std::move(then));
    return;
  }
  if (state_ == NodeState::alone) {
    if (then) then();
    return;
  }
  if (lease_ && !lease_->holds_lease()) {
    // With a witness, ALONE — and the VIP that comes with it — needs the lease: the
    // peer could be granted it otherwise. Wait (fenced if this node was primary).
    if (pending_alone_) {
      // Both wait for the same lease: whatever the earlier request meant to do next
      // (a reintegration to start) still happens.
      auto earlier = std::move(pending_alone_->then);
      then = [earlier = std::move(earlier), later = std::move(then)] {
        if (earlier) earlier();
        if (later) later();
      };
    }
    pending_alone_ = PendingAlone{reason, std::move(then)};
    want_lease();
    return set_state(NodeState::wait, reason + "; waiting for the witness lease");
  }
  const std::uint64_t attempt = ++alone_attempts_;
  alone_attempt_ = attempt;
  // This copy is made durable before the first write is acknowledged alone, so that a
  // crash while ALONE loses only what this node acknowledged alone -- never writes
  // acknowledged while paired, which the peer still holds and a reintegration from
  // this newer copy would otherwise overwrite (seed 273: a secondary taking over with
  // ops applied for the old primary still in unsynced buffers; a primary going on
  // alone likewise).
  const void* syncing = replica_ ? static_cast<const void*>(replica_.get()) : static_cast<const void*>(replicator_.get());
  auto durable = guarded([this, syncing, attempt, reason, then = std::move(then)](io::Error synced) mutable {
    if (alone_attempt_ != attempt) return;  // stopped or abandoned meanwhile
    const void* now = replica_ ? static_cast<const void*>(replica_.get()) : static_cast<const void*>(replicator_.get());
    if (now != syncing) {
      // The nodes met again meanwhile and that meeting decided the roles afresh.
      alone_attempt_.reset();
      after_alone_.clear();
      return log("going alone abandoned: " + config_.peer + " was met again while this copy was made durable");
    }
    if (synced != io::Error::ok) {
      alone_attempt_.reset();
      return stop_soon("cannot make this copy durable before acknowledging writes alone (" +
                       std::string(io::error_name(synced)) + "): stopping rather than serving a copy that may "
                       "lose writes the peer acknowledged");
    }
    start_alone_generation(reason, std::move(then), attempt);
  });
  io::Error queued = io::Error::ok;
  if (replica_) queued = replica_->make_durable(std::move(durable));
  else if (replicator_) queued = replicator_->make_local_durable(std::move(durable));
  else return durable(io::Error::ok);  // nothing applied in this run yet
  if (queued == io::Error::ok) return;
  alone_attempt_.reset();
  stop_soon("cannot make this copy durable before acknowledging writes alone (" + std::string(io::error_name(queued)) + ")");
}

void Node::cancel_going_alone(const std::string& why) {
  if (!alone_attempt_) return;
  alone_attempt_.reset();  // its callbacks, still under way, do nothing
  after_alone_.clear();
  log("going alone abandoned: " + why);
}

void Node::start_alone_generation(const std::string& reason, std::function<void()> then, std::uint64_t attempt) {
  HM_ASSERT(alone_attempt_ == attempt);
  // The new generation is durable before the first write is acknowledged alone: when
  // the nodes meet again, the other side's copy is recognised as older.
  GenerationInfo next = start_new_generation(generation_, io_.random);
  next.last_role = LastRole::primary;
  next.outdated = false;
  next.split_brain = false;  // going on alone is the admin's resolution (prim), or there was none
  if (discard_on_alone_ != 0) {
    next = discard_generation(std::move(next), discard_on_alone_);
    discard_on_alone_ = 0;
  }
  log("this copy is durable: recording a new data generation before acknowledging writes alone");
  // Abandoned while the record is written (mark_outdated): the outdated mark, queued
  // after it, supersedes it. A crash between the two leaves this record on the disk;
  // the next meeting then reports a split brain, which is the safe side.
  auto abandoned = [this, attempt] { return alone_attempt_ != attempt; };
  persist(next, [this, reason, then = std::move(then)] {
    alone_attempt_.reset();
    requesting_outdate_ = false;
    if (replica_) {
      replica_->detach();
      replica_.reset();
    }
    ensure_replicator();
    replicator_->detach();
    replicator_->set_policy(AckPolicy::local_only);
    want_lease();
    // Every op not yet durable on both copies is marked from now on.
    activity_->begin_alone(replicator_->next_sequence() - 1);
    forget_marks_after_.reset();
    if (checkpoint_timer_) checkpoint_timer_->stop();
    set_state(NodeState::alone, reason);
    std::vector<std::function<void()>> after = std::move(after_alone_);
    after_alone_.clear();
    if (then) then();
    for (auto& next_step : after) next_step();
    writes_->kick();
  }, std::move(abandoned));
}

std::string Node::prim(bool force) {
  if (is_primary(state_)) {
    if (diverged_peer_generation_ == 0) return "already primary";
    // Still primary in a split brain (the peer waits): the admin's word settles it the
    // same way, durably, then the nodes meet again.
    GenerationInfo next = discard_generation(generation_, diverged_peer_generation_);
    next.split_brain = false;
    diverged_peer_generation_ = 0;
    log("admin prim: this node's data wins the split brain; " + config_.peer + "'s is overwritten by a full reintegration");
    persist(next, [this] {
      if (link_) link_->fail("meeting again after the admin resolved the split brain");
    });
    return {};
  }
  adopt_target_generation();
  if (state_ == NodeState::stop) return "the module is stopped: start it first";
  if (marking_outdated_) return "this copy is being marked outdated at " + config_.peer + "'s request: try again";
  if (state_ == NodeState::second && (link_ || (monitor_ && monitor_->peer_up()))) {
    // Two primaries at once is exactly what this product exists to prevent.
    const std::string refused = "prim refused: this node is the secondary of " + config_.peer +
                                ", which is running; run swap there to exchange the roles";
    log(refused);
    return refused;
  }
  if (const std::string refused = check_admin_prim(generation_, force, last_run_crashed_); !refused.empty()) {
    log(refused);
    return refused;
  }
  std::string reason = force ? "admin primforce" : "admin prim";
  if (force && lease_ && !lease_->holds_lease()) {
    // primforce overrides the witness's check of the data too (not its timing).
    lease_force_ = true;
    publish_status();
  }
  if (diverged_peer_generation_ != 0) {
    // The admin chose this side of a split brain: the peer's diverged data is to be
    // overwritten, durably recorded with the new generation, then met again.
    discard_on_alone_ = diverged_peer_generation_;
    reason += ": this node's data wins the split brain; " + config_.peer + "'s is overwritten by a full reintegration";
  }
  go_alone(reason, [this] {
    if (link_ && discard_on_alone_ == 0 && diverged_peer_generation_ != 0) {
      diverged_peer_generation_ = 0;
      link_->fail("meeting again after the admin resolved the split brain");
    } else if (link_ && peer_hello_seen_ && diverged_peer_generation_ == 0) {
      // The peer was met and waits too (neither copy was up to date): nothing else
      // would bring the two together again to reintegrate it (property counterexample
      // 872608: primforce here left the peer waiting for good).
      link_->fail("meeting again after the admin's prim");
    }
  });
  return {};
}

io::Error Node::submit(FileOp op, Replicator::DoneFn done) {
  if (!is_primary(state_) || !replicator_ || !writable_) return io::Error::read_only;
  if (const io::Error valid = validate(op, config_.roots.size()); valid != io::Error::ok) return valid;
  return writes_->submit(std::move(op), [this, alive = std::weak_ptr<char>(life_), done = std::move(done)](io::Error result) {
    done(result);
    if (result != io::Error::ok && alive.lock() && activity_ && activity_->failed()) on_activity_record_failed();
  });
}

// No write can be admitted any more: stopping lets a synchronised peer take over; a
// restart reads the records again.
void Node::on_activity_record_failed() {
  if (!is_primary(state_)) return;
  stop_soon("the activity record cannot be written: stopping this node so that " + config_.peer + " takes over");
}

// Where an op admitted by the activity record goes now: see WritePath.
io::Error Node::issue(FileOp&& op, Replicator::DoneFn&& done) {
  if (!is_primary(state_) || !replicator_ || !writable_) return io::Error::read_only;
  if (planning_) return io::Error::would_block;
  if (source_ && source_->running()) return source_->submit_live(std::move(op), std::move(done));
  return replicator_->submit(std::move(op), std::move(done));
}

void Node::on_write_completed(std::uint64_t sequence, const FileOp& shape, io::Error result) {
  if (handover_) continue_handover();
  activity_->on_completed(sequence, shape, result);
  if (result == io::Error::ok && state_ == NodeState::alone) ++generation_.changes_alone;
  if (planning_) plan_and_start_reintegration();
  if (state_ == NodeState::prim && activity_->wants_checkpoint()) request_checkpoint();
}

void Node::request_checkpoint() {
  if (checkpoint_pending_ || !replicator_ || state_ != NodeState::prim) return;
  const io::Error asked =
      replicator_->request_checkpoint(guarded([this](std::uint64_t through, io::Error result) { on_checkpoint(through, result); }));
  checkpoint_pending_ = asked == io::Error::ok;
}

void Node::on_checkpoint(std::uint64_t through, io::Error result) {
  checkpoint_pending_ = false;
  const bool link_trouble = result == io::Error::cancelled || result == io::Error::read_only || result == io::Error::would_block;
  if (result != io::Error::ok && !link_trouble && state_ == NodeState::prim) {
    // A copy could not make its data durable (a failed sync is sticky): this primary
    // can no longer keep its promises. It stops, and its synchronised peer, which
    // holds every acknowledged write, takes over.
    return stop_soon("checkpoint through op " + std::to_string(through) + " failed: " + std::string(io::error_name(result)) +
                     ": a disk failed; stopping this node so that " + config_.peer + " takes over");
  }
  if (result != io::Error::ok) return log("checkpoint through op " + std::to_string(through) + " failed: " + std::string(io::error_name(result)));
  activity_->on_durable_on_both(through);
  if (forget_marks_after_ && through >= *forget_marks_after_) {
    forget_marks_after_.reset();
    activity_->forget_marks(guarded([this](io::Error forgot) {
      if (forgot != io::Error::ok) log("cannot clear the dirty record: " + std::string(io::error_name(forgot)));
    }));
  }
  if (activity_->wants_checkpoint()) request_checkpoint();
}

// The next replicator continues this one's numbering: the activity log has one.
void Node::drop_replicator() {
  if (!replicator_) return;
  next_sequence_ = replicator_->next_sequence();
  // Ops still waiting for an acknowledgement fail now (their writers hear read_only):
  // this copy is leaving the primary role, and destroying the Replicator would drop
  // their completions unanswered.
  replicator_->set_policy(AckPolicy::refuse);
  if (!replicator_) return;  // a writer's callback stopped the node meanwhile
  replicator_.reset();
  writes_->fail_waiting(io::Error::read_only);
}

void Node::stop(std::function<void()> left) {
  if (state_ == NodeState::stop) {
    if (left) left();
    return;
  }
  if (handover_) {
    if (handover_->stopping) return;  // under way already
    abandon_handover("stop requested");
  }
  // A PRIM hands its role over first: its synchronised secondary takes it at once
  // instead of after the heartbeat timeout.
  if (hand_over(true, left).empty()) return;
  finish_stop(std::move(left));
}

void Node::finish_stop(std::function<void()> left) {
  if (replicator_) replicator_->set_policy(AckPolicy::refuse);
  if (writes_) writes_->fail_waiting(io::Error::read_only);
  *run_ += 1;  // every pending callback of this run now does nothing
  adopt_target_generation();
  source_.reset();
  target_.reset();
  // This run's copy outlives the stop until what it applied is durable (see below).
  std::unique_ptr<Replica> replica = std::move(replica_);
  if (replica) replica->detach();
  std::unique_ptr<Replicator> replicator;
  if (replicator_) {
    next_sequence_ = replicator_->next_sequence();
    replicator_->detach();
    replicator = std::move(replicator_);
  }
  writes_.reset();
  activity_.reset();
  planning_ = false;
  checkpoint_pending_ = false;
  checkpoint_timer_.reset();
  forget_marks_after_.reset();
  diverged_peer_generation_ = 0;
  discard_on_alone_ = 0;
  met_peer_ = false;
  link_.reset();
  link_listener_.reset();
  monitor_.reset();
  lease_.reset();
  taking_over_ = false;
  alone_at_start_ = false;
  pending_alone_.reset();
  start_timer_.reset();
  start_deferred_ = false;
  connect_timer_.reset();
  link_watch_timer_.reset();
  connecting_ = false;
  alone_attempt_.reset();
  after_alone_.clear();
  marking_outdated_ = false;
  requesting_outdate_ = false;
  peer_hello_seen_ = false;
  // A crash not yet repaired by a resynchronisation stays recorded through a clean
  // stop: the copy still may lack writes it had acknowledged.
  const bool still_crashed = last_run_crashed_;
  last_run_crashed_ = false;
  set_state(NodeState::stop, "stopped");
  // `left` runs once the role is left and the record says how this run ended.
  auto alive = std::weak_ptr<char>(life_);
  auto pending = std::make_shared<int>(2);
  auto one_done = [alive, pending, left = std::move(left)] {
    if (--*pending == 0 && alive.lock() && left) left();
  };
  // The stop is recorded clean only once every op this copy applied is durable (seed
  // 777: a secondary stopped, lost power while stopped, and the ops it had applied but
  // not synced were gone -- yet its record said "clean", so the next meeting took it
  // as the copy holding every acknowledged write). A failed sync (sticky, see
  // op_applier.h) leaves the run recorded as crashed: a power cut may still take from
  // this copy.
  auto record_end = [this, alive, one_done, still_crashed](io::Error synced) {
    if (!alive.lock()) return;
    if (synced != io::Error::ok) {
      log("cannot make this copy durable at stop (" + std::string(io::error_name(synced)) +
          "): the stop is not recorded as clean");
    }
    if (!generation_.running || still_crashed || synced != io::Error::ok || state_ != NodeState::stop) return one_done();
    GenerationInfo clean = generation_;
    clean.running = false;
    generation_ = clean;
    const io::Error queued = generation_file_->write(wire::encode_body(clean), [this, alive, one_done](io::Error result) {
      if (!alive.lock()) return;
      if (result != io::Error::ok) log("cannot record the clean stop: " + std::string(io::error_name(result)));
      one_done();
    });
    if (queued != io::Error::ok) one_done();
  };
  io::Error queued = io::Error::ok;
  if (replica) {
    queued = replica->make_durable(record_end);
    retired_copy_ = std::shared_ptr<Replica>(std::move(replica));
  } else if (replicator) {
    queued = replicator->make_local_durable(record_end);
    retired_copy_ = std::shared_ptr<Replicator>(std::move(replicator));
  } else {
    record_end(io::Error::ok);  // nothing applied in this run
  }
  if (queued != io::Error::ok) record_end(queued);
  if (role_->state() == PrimaryRole::State::secondary && !role_->busy()) return one_done();
  // Joins the leave set_state began (or the one under way).
  role_->leave_gracefully("stopped", [alive, one_done](const PrimaryRole::Outcome&) {
    if (alive.lock()) one_done();
  });
}

std::string Node::swap() {
  if (handover_) return "a handover is already under way";
  const std::string refused = hand_over(false, {});
  if (!refused.empty()) log("swap refused: " + refused);
  return refused;
}

std::string Node::hand_over(bool stopping, std::function<void()> left) {
  if (state_ != NodeState::prim || !link_ || !replicator_ || !replicator_->attached()) {
    return "this node is " + std::string(node_state_name(state_)) + ", not PRIM with a synchronised secondary";
  }
  if (handover_) return "a handover is already under way";
  handover_ = Handover{.stopping = stopping, .left = std::move(left)};
  log(std::string("handing the primary role over to ") + config_.peer + (stopping ? " (this node stops)" : " (swap)") +
      ": new writes are refused, those in flight complete");
  // Writes are refused from now on (not fenced: those in flight still complete).
  writable_ = false;
  writes_->fail_waiting(io::Error::read_only);
  if (checker_) checker_->stop("handing the role over");
  continue_handover();
  return {};
}

void Node::continue_handover() {
  if (!handover_ || handover_->phase != Handover::Phase::draining || replicator_->in_flight() > 0) return;
  handover_->phase = Handover::Phase::checkpointing;
  const io::Error asked = replicator_->request_checkpoint(guarded([this](std::uint64_t through, io::Error result) {
    if (!handover_) return;
    if (result != io::Error::ok) return abandon_handover("the copies could not be made durable: " + std::string(io::error_name(result)));
    activity_->on_durable_on_both(through);
    handover_->phase = Handover::Phase::leaving;
    auto alive = std::weak_ptr<char>(life_);
    role_->leave_gracefully("handing the primary role over to " + config_.peer,
                            [this, alive, through](const PrimaryRole::Outcome& outcome) {
                              if (!alive.lock() || !handover_ || handover_->phase != Handover::Phase::leaving) return;
                              // A VIP still here must not be added there too.
                              if (!outcome.ok()) return abandon_handover("the role could not be left: " + outcome.reason);
                              if (!link_) return abandon_handover("the replication link was lost");
                              handover_->phase = Handover::Phase::awaiting_ack;
                              (void)link_->send(RoleHandover{handover_->stopping, through});
                              if (!handover_timer_) handover_timer_ = io_.clock.make_timer();
                              handover_timer_->start(config_.timeout_ms * io::kNsPerMs, 0, guarded([this] {
                                abandon_handover(config_.peer + " did not answer within the timeout");
                              }));
                            });
  }));
  if (asked != io::Error::ok) abandon_handover("no checkpoint: " + std::string(io::error_name(asked)));
}

// Stopping: stop anyway (the peer takes over after the heartbeat timeout). A swap:
// this node stays primary and takes its role's resources again.
void Node::abandon_handover(const std::string& why) {
  if (!handover_) return;
  Handover handover = std::move(*handover_);
  handover_.reset();
  if (handover_timer_) handover_timer_->stop();
  log("handover abandoned: " + why);
  if (handover.stopping) return finish_stop(std::move(handover.left));
  if (state_ != NodeState::prim) return;
  // Taken when the fence ends if the node is ALONE by then too (the secondary was lost
  // meanwhile, seed 1553): PRIM and ALONE share the role, and no state change will
  // ask for it again.
  take_role("swap abandoned");
}

void Node::on_handover_ack(const RoleHandoverAck& ack) {
  if (!ack.taken) return abandon_handover(config_.peer + " cannot take the role");
  Handover handover = std::move(*handover_);
  handover_.reset();
  handover_timer_->stop();
  log(config_.peer + " took the primary role");
  if (handover.stopping) {
    // The peer acknowledges alone from now on: this copy falls behind and must never
    // be promoted by itself (recorded with the clean stop).
    generation_.outdated = true;
    return finish_stop(std::move(handover.left));
  }
  // A swap: this node becomes the secondary of its peer on the same link; the same
  // data, so no reintegration. The peer's first frame follows its answer.
  if (replicator_) replicator_->detach();
  become_secondary(generation_, "swap: " + config_.peer + " took the primary role");
}

void Node::on_role_handover(const RoleHandover& handover) {
  const bool ready = state_ == NodeState::second && synchronised() && replica_->applied_through() >= handover.through;
  (void)link_->send(RoleHandoverAck{ready});
  if (!ready) return log(config_.peer + " offered its role, but this copy is not synchronised: refused");
  replica_->detach();
  replica_.reset();
  if (handover.primary_stops) return go_alone(config_.peer + " stopped and handed its primary role over");
  become_primary_with_secondary("swap: " + config_.peer + " handed its primary role over");
}

std::string Node::second() {
  if (state_ == NodeState::stop) return "the module is stopped: start it first";
  if (state_ == NodeState::second) return "already secondary";
  if (state_ == NodeState::prim) return swap();
  if (alone_attempt_) return "this node is becoming primary: try again";
  log("admin second: this node's data is to be overwritten by " + config_.peer + "'s (full reintegration)");
  GenerationInfo next = generation_;
  if (next.current != 0) {
    next.history.insert(next.history.begin(), next.current);
    if (next.history.size() > kMaxGenerationHistory) next.history.resize(kMaxGenerationHistory);
  }
  next.current = 0;
  next.last_role = LastRole::secondary;
  persist(next, [this] {
    set_state(NodeState::wait, "admin second: waiting for " + config_.peer + " to become primary and reintegrate this node");
    if (link_) link_->fail("meeting again after the admin's second");
  });
  return {};
}

}  // namespace hamirror::core
