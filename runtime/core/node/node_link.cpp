// The replication link: connecting to the peer, the meeting (hello) that decides
// who is primary, and what the node does when the link is lost.
#include "core/node/node.h"

#include <utility>

#include "core/canary.h"
#include "core/node/fast_resync.h"
#include "core/node/node_messages.h"

namespace hamirror::core {

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
  hello_generation_ = generation_;
  (void)link_->send(NodeHello{config_.name, state_, generation_, seal_marks(hello_marks_), last_run_crashed_});
}

void Node::watch_link() {
  if (!link_) return link_watch_timer_->stop();
  if (monitor_ && monitor_->peer_up()) return;  // heartbeats flow: an idle link is fine
  // A secondary ends it: its takeover waits for the link. So does a primary without a
  // witness, whose writes would wait for the kernel's timers (minutes) before it goes
  // on alone. A primary with a witness keeps waiting, writes held: had it ended the
  // link while holding the lease, it would go on alone in a new generation the cut-off
  // witness never records, and meet its peer as a split brain (found by the e2e link
  // cut); without the lease, fence_if_cut_off_without_lease ends it.
  const bool may_end = state_ == NodeState::second || (state_ == NodeState::prim && !lease_);
  if (!may_end) return;
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
  else if (source_ && source_->running()) {
    problem = source_->on_frame(frame);
    if (problem.empty() && alone_unconfirmed_ && source_ && source_->target_answered()) {
      confirm_alone(config_.peer + " answered as the reintegration target");
    }
  }
  else if (target_ && !target_->synchronised()) problem = target_->on_frame(frame);
  else if (replica_) problem = replica_->on_frame(frame);
  if (!problem.empty() && link_) link_->fail(problem);
}

void Node::on_peer_hello(const NodeHello& hello) {
  peer_hello_seen_ = true;
  met_peer_ = true;
  start_deferred_ = false;
  if (generation_.current != hello_generation_.current || generation_.outdated != hello_generation_.outdated ||
      generation_.acknowledged_alone != hello_generation_.acknowledged_alone) {
    // The peer decides on the record this node's hello carried, this node would on the
    // one it has now: two different meetings (seed 47890: a hello sent on a link the
    // frozen peer accepted later, then an admin's prim here; the peer, thawed, planned
    // to reintegrate this node while this node saw a split brain and stayed ALONE, and
    // each waited for the other for good). Nothing is decided: the nodes meet again,
    // each hello then telling the record its sender decides on.
    log("this node's data generation changed after its hello to " + config_.peer + ", which decides on the old one: "
        "the nodes meet again");
    return fail_link_soon("the data generation changed after this node's hello");
  }
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
  // What an admin's `prim` here would overrule, as of this meeting: a divergence
  // found earlier and since settled no longer stands (seeds 162821, 172953: a split
  // brain's stale id was discarded instead of the peer's current data).
  diverged_peer_generation_ = decision.split_brain ? hello.generation.current : 0;
  newer_waiting_peer_generation_ =
      !is_primary(hello.state) && compare(generation_, hello.generation) == DataRelation::peer_newer
          ? hello.generation.current
          : 0;
  if (decision.split_brain) {
    log("*** SPLIT BRAIN DETECTED *** " + decision.reason);
    if (listener_.on_split_brain) listener_.on_split_brain(decision.reason);
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
  const bool admin_chose_this_node = prim_waits_for_meeting_;
  prim_waits_for_meeting_ = false;
  alone_unconfirmed_ = false;
  // So does a going alone under way, its generation still being recorded: finished
  // after a meeting that made this node secondary, it made it ALONE with the lease
  // while its peer, primary by that meeting, waited for the lease for good (seed 7231).
  // Made primary, this node goes alone afresh from here.
  cancel_going_alone("met " + config_.peer + ": the meeting decides the roles");
  // The very same id: two copies that each count as their common parent (compare)
  // still go through a reintegration of their marks.
  const bool same_generation = generation_.current != 0 && generation_.current == peer.generation.current &&
                               generation_.consistent &&
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
      fence_writes();
      return set_state(NodeState::wait, decision.reason);
    case Role::primary:
      if (decision.reintegration == Reintegration::none && !same_data) {
        // This node stays primary and the peer waits (a split brain, or data the peer
        // will not let be overwritten): nothing travels until an admin decides.
        return log("staying " + std::string(node_state_name(state_)) + "; " + config_.peer + " waits: " + decision.reason);
      }
      if (!same_data) {
        // A node that was not serving takes the role on the strength of the peer's
        // hello only, and that hello may have waited unread while this node was frozen
        // and no longer describe the peer (seed 125430: the peer had gone on alone
        // since). An admin's prim decided without it.
        alone_unconfirmed_ = (state_ == NodeState::wait || state_ == NodeState::second) && !admin_chose_this_node;
        return reintegrate_peer(decision.reason, fast_reintegration_possible(peer));
      }
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
        fence_writes();
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

// One replicator per primary episode, whichever way it began (settled as PRIM, or
// ALONE after a failover and PRIM again after reintegrating the peer): a secondary
// that fails an op is always reported and its link dropped.
void Node::ensure_replicator() {
  if (replicator_) return;
  replicator_ = std::make_unique<Replicator>(
      io_.fs, io_.clock, config_.roots,
      Replicator::Listener{.on_secondary_failed = guarded([this](std::uint64_t sequence, io::Error result) {
        log("the secondary failed op " + std::to_string(sequence) + " (" + std::string(io::error_name(result)) +
            "): its copy differs and must be reintegrated");
        if (link_) link_->fail("secondary copy diverged");
      }),
                           .on_local_failed = guarded([this](std::uint64_t sequence, io::Error result) {
                             on_local_disk_error(sequence, result);
                           })},
      next_sequence_);
  replicator_->set_alone_gate([this] { return may_acknowledge_alone(); });
}

bool Node::may_acknowledge_alone() {
  if (alone_unconfirmed_) return false;
  // With a witness, nothing is acknowledged alone unless the lease is held right then,
  // AND the witness recorded this copy's generation: the peer is then never granted
  // the lease on older data. Only then is this copy's own mark written: written while
  // the witness was out of reach, it would make a copy fenced before it acknowledged
  // anything look like one side of a split brain (seed 55793).
  if (lease_ && !lease_->may_acknowledge_alone(generation_.current)) return false;
  if (generation_.acknowledged_alone) return true;
  if (acknowledged_alone_generation_ != generation_.current) {
    acknowledged_alone_generation_ = generation_.current;
    const std::uint64_t marked = generation_.current;
    GenerationInfo next = generation_;
    next.acknowledged_alone = true;
    log("recording that this copy acknowledges writes alone in its generation");
    // Only the mark is adopted once durable, not the whole record: a meeting meanwhile
    // may have changed the record in memory (a target's inconsistent mark, queued
    // after this one).
    write_generation_record(std::move(next), [this, marked] {
      if (generation_.current != marked) return;
      generation_.acknowledged_alone = true;
      publish_status();
      if (replicator_) replicator_->recheck_alone_gate();
    });
  }
  return false;
}

void Node::confirm_alone(const std::string& why) {
  alone_unconfirmed_ = false;
  log("writes may be acknowledged alone: " + why);
  if (replicator_) replicator_->recheck_alone_gate();
}

void Node::become_primary_with_secondary(const std::string& reason) {
  alone_unconfirmed_ = false;  // the peer is a synchronised copy
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
  replica_ = std::make_unique<Replica>(io_.fs, io_.clock, config_.roots, config_.async_mode,
                                       Replica::Listener{.on_apply_failed = guarded([this](std::uint64_t sequence, io::Error e) {
                                                           on_acknowledged_op_failed(sequence, e);
                                                         }),
                                                         .on_failure_awaiting_primary =
                                                             guarded([this](std::uint64_t sequence, io::Error e) {
                                                               on_failure_awaiting_primary(sequence, e);
                                                             }),
                                                         .on_failures_confirmed = guarded([this] { on_failures_confirmed(); })});
  replica_->attach(*link_);
  last_run_crashed_ = false;
  set_state(NodeState::second, reason + "; synchronised");
  GenerationInfo next = primary_generation;
  next.last_role = LastRole::secondary;
  next.outdated = false;
  next.consistent = true;
  next.acknowledged_alone = false;  // the primary's mark, not this copy's
  next.paired = true;
  persist(next, [] {});
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
  if (alone_unconfirmed_) {
    alone_unconfirmed_ = false;
    if (state_ != NodeState::prim) {  // prim: its reintegration may have finished (above)
      cancel_going_alone("the replication link was lost before " + config_.peer + " answered the meeting");
      fence_writes();
      reconnect_later();
      return set_state(NodeState::wait, "replication link lost (" + reason + ") before " + config_.peer +
                                        " answered the meeting that made this node primary: its hello may be "
                                        "stale, nothing was acknowledged alone; the nodes meet again");
    }
  }
  if (target_ && target_->synchronised()) {
    target_->detach();
    target_.reset();  // done; the Replica served the link since
  } else if (target_) {
    target_->detach();
    adopt_target_generation();
    target_.reset();
    reconnect_later();  // the reintegration starts again on the next link
    if (generation_.consistent) {
      return set_state(NodeState::wait, "replication link lost before the reintegration began (" + reason + "): this "
                                        "copy is as it was; the nodes meet again");
    }
    return set_state(NodeState::wait, "replication link lost during the reintegration (" + reason + "): this copy is "
                                      "inconsistent until a reintegration completes");
  }
  // Not yet judged down is alive: a peer never heard since this node started is taken
  // for gone only after the timeout (on_peer_lost acts then), as one that was heard.
  const bool peer_alive = monitor_ && !monitor_->peer_down();
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
    if (fence_if_peer_went_on_alone()) return reconnect_later();  // the meeting reintegrates this copy
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

}  // namespace hamirror::core
