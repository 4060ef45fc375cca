// The write path as the node sees it: submitting ops, their completion, disk errors,
// and the checkpoints that retire activity extents.
#include "core/node/node.h"

#include <utility>

namespace hamirror::core {

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

// Under async "second" too, but with an error the primary's copy may have given alike
// (a writer's unlink of a missing file): the primary is asked. Meanwhile this copy
// counts as diverged, in case the primary is gone before it answers.
void Node::on_failure_awaiting_primary(std::uint64_t sequence, io::Error result) {
  log("failed to apply op " + std::to_string(sequence) + " (" + std::string(io::error_name(result)) +
      ") it had acknowledged: asking the primary whether its copy failed it alike; inconsistent until it answers");
  if (generation_.consistent) mark_copy_inconsistent();
}

// The primary failed every such op alike: the copies never differed.
void Node::on_failures_confirmed() {
  log("the primary failed those ops alike: this copy is a mirror again");
  generation_.consistent = true;
  publish_status();
  persist(generation_, [] {});
}

// In memory at once (nothing promotes this copy from now on), durably next.
void Node::mark_copy_inconsistent() {
  generation_.consistent = false;
  publish_status();
  persist(generation_, [] {});
}

// This copy failed an op its secondary may have applied: the copies may differ there.
// A full disk: the link is dropped at once, before a checkpoint could retire the op's
// extent, so the next meeting resends it from this copy. An I/O error: this disk can
// no longer be trusted; the node stops and its synchronised peer takes over.
void Node::on_local_disk_error(std::uint64_t sequence, io::Error result) {
  if (state_ != NodeState::prim) return;  // alone, the error reaches the writer and nothing differs
  log("this copy failed op " + std::to_string(sequence) + " (" + std::string(io::error_name(result)) + ")");
  // The activity record keeps the op's entries until a resync (ActivityTracker): a
  // forget planned for the last resync's marks would drop them too.
  forget_marks_after_.reset();
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

}  // namespace hamirror::core
