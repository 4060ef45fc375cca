// Failover: the peer's heartbeats, the witness lease, the outdated mark, and going
// on alone (ALONE) in a new data generation.
#include "core/node/node.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::core {

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
  fence_if_peer_went_on_alone();
}

// Without a witness, a PRIM cut from its secondary goes on alone once the peer is
// outdated or silent. A peer that reports ALONE in a generation this copy never had
// took over while this node was frozen or cut off, and may have acknowledged writes
// this copy lacks: this node must not serve its older copy alone, even once the peer
// falls silent (seed 4237: a PRIM thawed from a freeze heard its peer ALONE, lost the
// link, the peer stopped, and the PRIM went on alone). It fences itself and marks its
// copy outdated, durably, as a secondary asked by its primary does; the next meeting
// reintegrates it. (With a witness, the lease guards this: the witness grants it only
// on data descending from what the peer acknowledged alone.)
bool Node::fence_if_peer_went_on_alone() {
  if (state_ != NodeState::prim || link_ || lease_ || !monitor_ ||
      monitor_->peer_state() != static_cast<std::uint8_t>(NodeState::alone) ||
      monitor_->peer_generation() == generation_.current) {
    return false;
  }
  requesting_outdate_ = false;
  fence_writes();
  set_state(NodeState::wait, config_.peer + " went on alone in a generation this copy never had: fenced, this copy "
                             "is outdated and will not go on alone");
  mark_outdated();
  return true;
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
  if (prim_waits_for_meeting_ && state_ == NodeState::wait) {
    prim_waits_for_meeting_ = false;
    return go_alone("admin prim: this node's data wins the split brain; " + config_.peer + " is gone (" + reason + ")");
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

}  // namespace hamirror::core
