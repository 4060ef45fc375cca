// The node's life: construction, start (the generation record, the first decision),
// state changes and their log, the primary role, errd, and the clean stop. The rest of
// Node lives beside it by topic: node_link (the replication link and the meeting),
// node_failover, node_reintegration, node_writes and node_admin.
#include "core/node/node.h"

#include <utility>

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
                               fence_writes();
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
  // A copy whose activity record failed as a secondary (sticky) admits no write: made
  // primary (a handover, a takeover), it stops at once rather than at its first write
  // (seed 13730), so that its peer serves.
  if (is_primary(state) && !is_primary(from) && activity_ && activity_->failed()) on_activity_record_failed();
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
  write_generation_record(next, [this, next, then = std::move(then), superseded = std::move(superseded)] {
    // A record already queued after this one replaces it on the disk: the peer never
    // hears of this one (it would take a generation nothing was written in for a
    // split brain).
    if (superseded && superseded()) return;
    generation_ = next;
    publish_status();
    then();
  });
}

void Node::write_generation_record(GenerationInfo next, std::function<void()> durable) {
  // A record built before the acknowledged_alone mark was written must not take it back.
  if (next.current != 0 && next.current == acknowledged_alone_generation_) next.acknowledged_alone = true;
  const io::Error queued = generation_file_->write(wire::encode_body(next), guarded([this, durable = std::move(durable)](io::Error result) {
    if (result != io::Error::ok) {
      // Without a durable record no promise about the data can be kept: stop here.
      log("cannot persist the generation record: " + std::string(io::error_name(result)) + "; stopping");
      stop();
      return;
    }
    durable();
  }));
  HM_ASSERT(queued == io::Error::ok);  // transitions are rare: the queue never fills
}

void Node::start() {
  if (state_ != NodeState::stop) return;
  retired_copy_.reset();  // a stop's sync still under way: its run stays recorded as crashed
  retired_parts_.clear();  // their ports are this run's now
  acknowledged_alone_generation_ = 0;  // a mark an earlier run wrote is in the record it loads
  lease_force_ = false;  // a primforce is this run's, not a later one's
  prim_waits_for_meeting_ = false;
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

// Every lease request carries the record's lists whole.
static_assert(kMaxGenerationHistory <= witness::kMaxLeaseHistory);
static_assert(kMaxDiscardedGenerations <= witness::kMaxLeaseDiscarded);

void Node::publish_status() {
  if (lease_) {
    // The witness grants the lease to a node only on data at least as new as what the
    // holder acknowledged alone: it is told this copy's generation with every request.
    lease_->set_data({generation_.current, generation_.history, lease_force_, generation_.discarded});
  }
  if (monitor_) {
    monitor_->set_local_status(static_cast<std::uint8_t>(state_), generation_.outdated, requesting_outdate_, generation_.current);
  }
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

// From a fresh event: whatever call of the part is under way has returned by then.
// Its callbacks into this node do nothing meanwhile (guarded by the run's counter).
void Node::destroy_soon(std::shared_ptr<void> part) {
  retired_parts_.push_back(std::move(part));
  if (!retired_parts_timer_) retired_parts_timer_ = io_.clock.make_timer();
  if (!retired_parts_timer_->active()) retired_parts_timer_->start(0, 0, [this] { retired_parts_.clear(); });
}

void Node::fence_writes() {
  if (replicator_) replicator_->set_policy(AckPolicy::refuse);
  if (writes_) writes_->fail_waiting(io::Error::read_only);
}

void Node::finish_stop(std::function<void()> left) {
  fence_writes();
  alone_unconfirmed_ = false;
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
  // The op awaiting its go from the activity log goes with the log: answered now.
  if (writes_) writes_->abandon(io::Error::read_only);
  writes_.reset();
  activity_.reset();
  planning_ = false;
  checkpoint_pending_ = false;
  checkpoint_timer_.reset();
  forget_marks_after_.reset();
  diverged_peer_generation_ = 0;
  newer_waiting_peer_generation_ = 0;
  discard_on_alone_ = 0;
  met_peer_ = false;
  link_.reset();
  link_listener_.reset();
  // A stop can run inside the monitor's or the lease client's own callback (seed
  // 11912: the lease ran out, fencing failed the link, which abandoned a stopping
  // handover): destroyed there, the client went on with freed memory.
  if (monitor_) destroy_soon(std::shared_ptr<PeerMonitor>(std::move(monitor_)));
  if (lease_) {
    if (lease_->wants_lease()) lease_->want_lease(false);  // no request leaves after the stop
    destroy_soon(std::shared_ptr<witness::LeaseClient>(std::move(lease_)));
  }
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

}  // namespace hamirror::core
