// The admin's commands that change roles: prim/primforce, swap (the role handover)
// and second.
#include "core/node/node.h"

#include <utility>

#include "core/node/node_messages.h"

namespace hamirror::core {

std::string Node::prim(bool force) {
  if (is_primary(state_) && overruled_peer_generation() == 0) return "already primary";
  if (!force && diverged_peer_generation_ == 0 && newer_waiting_peer_generation_ != 0) {
    // Not a split brain: the peer's copy is newer, and prim on a stale copy is refused
    // (seed 234966: prim here, the peer stopped, overwrote writes the peer had
    // acknowledged alone). Overwriting them is primforce's explicit act.
    const std::string refused = "prim refused: " + config_.peer + "'s copy is newer than this one (it waits for an admin); " +
                                "run prim on " + config_.peer + ", or primforce here to overwrite it";
    log(refused);
    return refused;
  }
  if (is_primary(state_)) {
    // Still primary while the peer waits (a split brain, or its newer copy): the
    // admin's word settles it durably, then the nodes meet again.
    record_admin_choice();
    return {};
  }
  adopt_target_generation();
  if (const std::string refused = refuse_until_running(); !refused.empty()) return refused;
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
  const std::uint64_t overruled = overruled_peer_generation();
  if (overruled != 0 && lease_ && !force) {
    // With a witness the choice is recorded first, not with the new generation: the
    // lease requests then carry it (the witness may have recorded the peer's side, and
    // would refuse this node for good), and a peer serving this split brain, which
    // renews the lease, finds its data discarded when the nodes meet again, steps down
    // and gives the lease up (seed 55793's prim waited for that lease for good).
    record_admin_choice([this](bool met_again) {
      // Not linked, or the peer found gone before they meet (on_peer_lost): the lease
      // decides, and the witness grants it on this choice.
      if (met_again) prim_waits_for_meeting_ = true;
      else go_alone("admin prim: " + overruling_words());
    });
    return {};
  }
  std::string reason = force ? "admin primforce" : "admin prim";
  if (force && lease_ && !lease_->holds_lease()) {
    // primforce overrides the witness's check of the data too (not its timing).
    lease_force_ = true;
    publish_status();
  }
  if (overruled != 0) {
    // The admin chose this side: the peer's data is to be overwritten, durably
    // recorded with the new generation, then met again.
    discard_on_alone_ = overruled;
    reason += ": " + overruling_words();
  }
  go_alone(reason, [this, overruled] {
    if (!link_ || (overruled == 0 && !peer_hello_seen_)) return;
    // Met again, the peer finds its data discarded (overruled) and is reintegrated; or,
    // neither copy being up to date, nothing else would bring the two together again
    // (property counterexample 872608: primforce here left the peer waiting for good).
    diverged_peer_generation_ = 0;
    newer_waiting_peer_generation_ = 0;
    link_->fail(overruled != 0 ? "meeting again after the admin overruled the peer's data"
                               : "meeting again after the admin's prim");
  });
  return {};
}

std::string Node::overruling_words() const {
  if (diverged_peer_generation_ != 0) {
    return "this node's data wins the split brain; " + config_.peer + "'s is overwritten by a full reintegration";
  }
  return "this node's data wins over " + config_.peer + "'s newer copy, which is overwritten by a full reintegration";
}

// Found by a test: primforce while the records were still being read made the node
// ALONE before its activity record was loaded, and its first write failed an assertion.
std::string Node::refuse_until_running() const {
  if (state_ == NodeState::stop) return "the module is stopped: start it first";
  if (!monitor_) return "the module is starting (reading its data generation and activity records): try again in a moment";
  return {};
}

void Node::record_admin_choice(std::function<void(bool met_again)> then) {
  GenerationInfo next = discard_generation(generation_, overruled_peer_generation());
  next.split_brain = false;
  log("admin prim: " + overruling_words());
  diverged_peer_generation_ = 0;
  newer_waiting_peer_generation_ = 0;
  persist(next, [this, then = std::move(then)] {
    const bool linked = link_ != nullptr;
    if (linked) link_->fail("meeting again after the admin overruled the peer's data");
    if (then) then(linked);
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
    activity_->on_durable_on_both(through, ActivityTracker::Retiring::everything_durable);
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
  if (const std::string refused = refuse_until_running(); !refused.empty()) return refused;
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
