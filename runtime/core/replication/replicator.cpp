#include "core/replication/replicator.h"

#include <utility>

#include "core/canary.h"
#include "io/assert.h"

namespace hamirror::core {

std::string_view ack_policy_name(AckPolicy policy) {
  switch (policy) {
    case AckPolicy::wait_for_secondary: return "wait_for_secondary";
    case AckPolicy::local_only: return "local_only";
    case AckPolicy::refuse: return "refuse";
  }
  return "unknown";
}

Replicator::Replicator(io::FileSystem& fs, io::Clock& clock, std::vector<std::string> roots, Listener listener,
                       std::uint64_t first_sequence)
    : applier_(fs, std::move(roots), &clock), listener_(std::move(listener)), next_sequence_(first_sequence) {
  HM_ASSERT(listener_.on_secondary_failed);
  HM_ASSERT(first_sequence >= 1);
}

io::Error Replicator::submit(FileOp&& op, DoneFn&& done) {
  HM_ASSERT(done);
  if (policy_ == AckPolicy::refuse) return io::Error::read_only;
  if (const io::Error valid = validate(op, applier_.roots().size()); valid != io::Error::ok) return valid;
  const std::size_t bytes = op.data.size() + op.path.size() + op.target.size();
  if (in_flight_.size() >= kMaxInFlightOps || in_flight_bytes_ + bytes > kMaxInFlightBytes) return io::Error::would_block;

  const std::uint64_t sequence = next_sequence_++;
  InFlight& entry = in_flight_[sequence];
  entry.done = std::move(done);
  entry.bytes = bytes;
  entry.needs_secondary = policy_ == AckPolicy::wait_for_secondary;
  in_flight_bytes_ += bytes;
  if (entry.needs_secondary && outbox_.attached()) {
    entry.needs_ack = true;
    outbox_.send(ReplicateOp::from(sequence, op));
  }
  // Applied locally in parallel with the secondary, as DRBD does: the two copies'
  // latencies overlap instead of adding up.
  const io::Error queued = applier_.apply(std::move(op), [this, sequence](io::Error result) { on_local_applied(sequence, result); });
  HM_ASSERT(queued == io::Error::ok);  // validated above; the applier's queue is larger than kMaxInFlightOps
  return io::Error::ok;
}

void Replicator::on_local_applied(std::uint64_t sequence, io::Error result) {
  const auto found = in_flight_.find(sequence);
  if (found == in_flight_.end()) return;  // already failed by a fence
  found->second.local_done = true;
  found->second.local_result = result;
  complete_if_ready(sequence);
}

std::string Replicator::on_frame(const wire::Frame& frame) {
  if (frame.header.type == wire::MessageType::checkpoint_ack) {
    auto ack = wire::decode_message<CheckpointAck>(frame);
    return ack ? on_checkpoint_ack(ack.value()) : ack.error();
  }
  if (frame.header.type != wire::MessageType::op_ack) {
    return "unexpected " + std::to_string(static_cast<int>(frame.header.type)) + " frame from the secondary";
  }
  auto ack = wire::decode_message<OpAck>(frame);
  if (!ack) return ack.error();
  const std::uint64_t sequence = ack.value().sequence;
  if (sequence >= next_sequence_) return "ack for op " + std::to_string(sequence) + ", which was never sent";
  const auto found = in_flight_.find(sequence);
  if (found != in_flight_.end() && found->second.needs_ack) {
    on_ack(ack.value());
    return {};
  }
  if (ack.value().result != io::Error::ok) return on_late_failure(ack.value());
  // An op a policy change already completed or failed may still be acknowledged.
  return {};
}

// The secondary acknowledged this op on receipt and has now failed it.
std::string Replicator::on_late_failure(const OpAck& report) {
  if (const auto found = in_flight_.find(report.sequence); found != in_flight_.end()) {
    found->second.failure_reported_late = true;  // judged when this copy is done too
    found->second.secondary_result = report.result;
    complete_if_ready(report.sequence);
    return {};
  }
  const auto failed = failed_after_receipt_.find(report.sequence);
  if (failed != failed_after_receipt_.end() && failed->second == report.result) {
    failed_after_receipt_.erase(failed);
    outbox_.send(OpAck{report.sequence, report.result});  // failed alike here
    return {};
  }
  listener_.on_secondary_failed(report.sequence, report.result);
  return {};
}

void Replicator::on_ack(const OpAck& ack) {
  InFlight& entry = in_flight_.at(ack.sequence);
  entry.needs_ack = false;
  entry.needs_secondary = false;
  entry.secondary_acked = true;
  entry.secondary_result = ack.result;
  complete_if_ready(ack.sequence);
}

void Replicator::set_alone_gate(std::function<bool()> may_acknowledge_alone) { alone_gate_ = std::move(may_acknowledge_alone); }

void Replicator::recheck_alone_gate() {
  // Collect first: completing runs writers' callbacks, which may submit more ops.
  std::vector<std::uint64_t> pending;
  for (const auto& [sequence, entry] : in_flight_) pending.push_back(sequence);
  held_by_gate_ = 0;
  for (const std::uint64_t sequence : pending) {
    if (in_flight_.contains(sequence)) complete_if_ready(sequence);
  }
}

void Replicator::complete_if_ready(std::uint64_t sequence) {
  auto found = in_flight_.find(sequence);
  HM_ASSERT(found != in_flight_.end());
  InFlight& entry = found->second;
  const bool ack_awaited = entry.needs_secondary && !canary_planted(ProtocolCanary::ack_before_peer_ack);  // CANARY
  if (!entry.local_done || ack_awaited) return;
  // Alone, the gate is asked at this very moment: a node that lost its lease while
  // frozen acknowledges nothing when it resumes. A failed op tells the writer nothing
  // was stored, so only successes are held.
  if (!entry.secondary_acked && entry.local_result == io::Error::ok && policy_ != AckPolicy::refuse && alone_gate_ &&
      !alone_gate_()) {
    ++held_by_gate_;
    return;
  }
  // Both copies must agree; a copy that failed what the other applied has diverged,
  // and so has one that reported a failure late which this copy did not share.
  const io::Error local = entry.local_result;
  const io::Error secondary = entry.secondary_result;
  const bool secondary_failed = (local == io::Error::ok && secondary != io::Error::ok) ||
                                (entry.failure_reported_late && secondary != local);
  if (entry.failure_reported_late && !secondary_failed) outbox_.send(OpAck{sequence, secondary});  // failed alike here
  if (!entry.failure_reported_late && entry.secondary_acked && secondary == io::Error::ok && fails_alike_on_a_mirror(local)) {
    remember_failed_after_receipt(sequence, local);
  }
  const bool local_failed = is_disk_failure(local);
  const io::Error result = secondary_failed ? secondary : local;
  // The entry leaves before anyone hears of it: the listeners may change the policy
  // (completing every other op at once) or destroy this replicator, so nothing of
  // this object is used once they run — only these copies.
  DoneFn done = std::move(entry.done);
  in_flight_bytes_ -= entry.bytes;
  in_flight_.erase(found);
  ++ops_completed_;
  auto on_secondary_failed = secondary_failed ? listener_.on_secondary_failed : nullptr;
  auto on_local_failed = local_failed ? listener_.on_local_failed : nullptr;
  // The node hears of a failure before the writer does: it drops the link before a
  // checkpoint could retire the failed op's extent.
  if (on_secondary_failed) on_secondary_failed(sequence, secondary);
  if (on_local_failed) on_local_failed(sequence, local);
  done(result);
}

io::Error Replicator::request_checkpoint(CheckpointFn done) {
  HM_ASSERT(done);
  if (policy_ == AckPolicy::refuse) return io::Error::read_only;
  if (checkpoints_.size() >= kMaxPendingCheckpoints || awaiting_acks_.size() >= kMaxPendingCheckpoints) {
    return io::Error::would_block;
  }
  const std::uint64_t id = next_checkpoint_id_++;
  PendingCheckpoint& entry = checkpoints_[id];
  entry.through = next_sequence_ - 1;
  entry.done = std::move(done);
  // Without a link, a checkpoint under wait_for_secondary completes as cancelled.
  if (policy_ == AckPolicy::wait_for_secondary && outbox_.attached()) {
    // Every op up to `through` since the attach went to the secondary before this.
    entry.needs_ack = true;
    awaiting_acks_.push_back({entry.through, id});
    outbox_.send(Checkpoint{entry.through});
  }
  const io::Error queued = applier_.checkpoint([this, id](io::Error result) { on_local_checkpoint(id, result); });
  HM_ASSERT(queued == io::Error::ok);  // the applier's queue is larger than kMaxInFlightOps + kMaxPendingCheckpoints
  return io::Error::ok;
}

void Replicator::on_local_checkpoint(std::uint64_t id, io::Error result) {
  const auto found = checkpoints_.find(id);
  if (found == checkpoints_.end()) return;  // already failed by a fence
  found->second.local_done = true;
  found->second.local_result = result;
  complete_checkpoint_if_ready(id);
}

std::string Replicator::on_checkpoint_ack(const CheckpointAck& ack) {
  if (awaiting_acks_.empty()) return "checkpoint_ack through " + std::to_string(ack.through) + ", which was never sent";
  const SentCheckpoint sent = awaiting_acks_.front();
  if (ack.through != sent.through) {
    return "checkpoint_ack through " + std::to_string(ack.through) + " out of order: expected " + std::to_string(sent.through);
  }
  awaiting_acks_.pop_front();
  // Every late report up to it came before this ack.
  failed_after_receipt_.erase(failed_after_receipt_.begin(), failed_after_receipt_.upper_bound(ack.through));
  const auto found = checkpoints_.find(sent.id);
  // A checkpoint a policy change already completed or failed may still be acknowledged.
  if (found == checkpoints_.end() || !found->second.needs_ack) return {};
  found->second.needs_ack = false;
  found->second.acked = true;
  found->second.secondary_result = ack.result;
  complete_checkpoint_if_ready(sent.id);
  return {};
}

void Replicator::complete_checkpoint_if_ready(std::uint64_t id) {
  const auto found = checkpoints_.find(id);
  HM_ASSERT(found != checkpoints_.end());
  PendingCheckpoint& entry = found->second;
  const bool wants_secondary = policy_ == AckPolicy::wait_for_secondary &&
                               !canary_planted(ProtocolCanary::fsync_without_peer_fsync);  // CANARY: this sync alone
  if (!entry.local_done || (entry.needs_ack && wants_secondary)) return;
  io::Error result = entry.local_result;
  // What the policy requires when it completes: the secondary's word too, or not.
  if (result == io::Error::ok && wants_secondary) result = entry.acked ? entry.secondary_result : io::Error::cancelled;
  HM_ASSERT(result != io::Error::ok || !wants_secondary || (entry.acked && entry.local_done));
  const std::uint64_t through = entry.through;
  CheckpointFn done = std::move(entry.done);
  checkpoints_.erase(found);
  done(through, result);
}

void Replicator::lose_secondary_checkpoints() {
  awaiting_acks_.clear();
  std::vector<std::uint64_t> affected;
  for (auto& [id, entry] : checkpoints_) {
    if (!entry.needs_ack) continue;
    entry.needs_ack = false;  // and never acked: cancelled under wait_for_secondary
    affected.push_back(id);
  }
  for (const std::uint64_t id : affected) {
    if (checkpoints_.contains(id)) complete_checkpoint_if_ready(id);
  }
}

void Replicator::set_policy(AckPolicy policy) {
  policy_ = policy;
  if (policy == AckPolicy::wait_for_secondary) return;
  std::vector<std::uint64_t> checkpoints;
  for (const auto& [id, entry] : checkpoints_) checkpoints.push_back(id);
  for (const std::uint64_t id : checkpoints) {
    auto found = checkpoints_.find(id);
    if (found == checkpoints_.end()) continue;
    if (policy == AckPolicy::refuse) {
      CheckpointFn done = std::move(found->second.done);
      const std::uint64_t through = found->second.through;
      checkpoints_.erase(found);
      done(through, io::Error::read_only);
      continue;
    }
    // local_only: this copy alone is what the policy requires now (an ack may still
    // come; awaiting_acks_ keeps its place).
    complete_checkpoint_if_ready(id);
  }
  // Collect first: completing runs writers' callbacks, which may submit more ops.
  std::vector<std::uint64_t> affected;
  for (const auto& [sequence, entry] : in_flight_) affected.push_back(sequence);
  for (const std::uint64_t sequence : affected) {
    auto found = in_flight_.find(sequence);
    if (found == in_flight_.end()) continue;
    if (policy == AckPolicy::refuse) {
      DoneFn done = std::move(found->second.done);
      in_flight_bytes_ -= found->second.bytes;
      in_flight_.erase(found);
      done(io::Error::read_only);
      continue;
    }
    found->second.needs_ack = false;
    found->second.needs_secondary = false;
    complete_if_ready(sequence);
  }
}

std::size_t Replicator::awaiting_secondary() const {
  std::size_t count = 0;
  for (const auto& [sequence, entry] : in_flight_) count += entry.needs_secondary ? 1 : 0;
  return count;
}

void Replicator::remember_failed_after_receipt(std::uint64_t sequence, io::Error local) {
  if (failed_after_receipt_.size() == kMaxInFlightOps) failed_after_receipt_.erase(failed_after_receipt_.begin());
  failed_after_receipt_[sequence] = local;
}

void Replicator::attach(wire::FramedConnection& link) {
  for (const auto& [sequence, entry] : in_flight_) HM_ASSERT(!entry.needs_secondary);
  failed_after_receipt_.clear();  // reports belong to the connection they were made on
  lose_secondary_checkpoints();  // none, unless the old link was never detached
  outbox_.attach(&link);
  outbox_.send(ReplicationStart{next_sequence_});
}

void Replicator::detach() {
  outbox_.detach();
  // Sent but unacknowledged ops now wait for the policy: the ack may never come.
  for (auto& [sequence, entry] : in_flight_) entry.needs_ack = false;
  lose_secondary_checkpoints();
}

}  // namespace hamirror::core
