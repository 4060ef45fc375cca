#include "core/replication/replica.h"

#include <algorithm>
#include <utility>

#include "core/canary.h"
#include "io/assert.h"

namespace hamirror::core {

Replica::Replica(io::FileSystem& fs, io::Clock& clock, std::vector<std::string> roots, AsyncMode mode, Listener listener)
    : applier_(fs, std::move(roots), &clock), mode_(mode), listener_(std::move(listener)) {
  HM_ASSERT(listener_.on_apply_failed);
  HM_ASSERT(!listener_.on_failure_awaiting_primary == !listener_.on_failures_confirmed);
}

void Replica::attach(wire::FramedConnection& link) {
  outbox_.attach(&link);
  started_ = false;
  ++connection_;
  awaiting_primary_.clear();  // never answered: this copy stays diverged
}

void Replica::detach() {
  outbox_.detach();
  started_ = false;
}

std::string Replica::on_frame(const wire::Frame& frame) {
  switch (frame.header.type) {
    case wire::MessageType::replication_start: {
      auto start = wire::decode_message<ReplicationStart>(frame);
      return start ? on_start(start.value()) : start.error();
    }
    case wire::MessageType::replicate_op: {
      auto op = wire::decode_message<ReplicateOp>(frame);
      return op ? on_op(std::move(op).value()) : op.error();
    }
    case wire::MessageType::checkpoint: {
      auto checkpoint = wire::decode_message<Checkpoint>(frame);
      return checkpoint ? on_checkpoint(checkpoint.value()) : checkpoint.error();
    }
    case wire::MessageType::op_ack: {
      auto answer = wire::decode_message<OpAck>(frame);
      return answer ? on_primary_failed_alike(answer.value()) : answer.error();
    }
    default:
      return "unexpected " + std::to_string(static_cast<int>(frame.header.type)) + " frame from the primary";
  }
}

std::string Replica::on_start(const ReplicationStart& start) {
  if (started_) return "a second replication_start on one connection";
  if (start.first_sequence == 0) return "replication_start with sequence 0";
  started_ = true;
  next_expected_ = start.first_sequence;
  // Everything before the first op is already in this copy (the node attaches only a
  // synchronised secondary); ops of an earlier connection may still be applying.
  applied_through_ = std::max(applied_through_, start.first_sequence - 1);
  return {};
}

std::string Replica::on_op(ReplicateOp op) {
  if (!started_) return "replicate_op before replication_start";
  if (op.sequence != next_expected_) {
    return "op " + std::to_string(op.sequence) + " out of order: expected " + std::to_string(next_expected_);
  }
  ++next_expected_;
  if (canary_planted(ProtocolCanary::apply_out_of_order)) return apply_out_of_order(std::move(op));  // CANARY
  return apply(std::move(op));
}

std::string Replica::apply(ReplicateOp op) {
  const std::uint64_t sequence = op.sequence;
  const bool ack_on_receipt = mode_ == AsyncMode::second && op.kind != OpKind::fsync;
  if (ack_on_receipt) outbox_.send(OpAck{sequence, io::Error::ok});
  const io::Error queued = applier_.apply(std::move(op).to_op(), [this, sequence, ack_on_receipt](io::Error result) {
    on_applied(sequence, result, ack_on_receipt);
  });
  if (queued != io::Error::ok) {
    return "cannot apply op " + std::to_string(sequence) + ": " + std::string(io::error_name(queued));
  }
  return {};
}

// The canary apply_out_of_order: a write waits for the op after it, which is applied
// first under the write's number, so acks and the applier see ascending numbers and
// only the data is out of order. (Only async="second" lets a writer's next op arrive
// before its write is applied: with "none", the ops in flight together are other
// writers', on other files, and their order does not matter.)
std::string Replica::apply_out_of_order(ReplicateOp op) {
  if (!held_write_) {
    if (op.kind != OpKind::write) return apply(std::move(op));
    if (mode_ == AsyncMode::second) outbox_.send(OpAck{op.sequence, io::Error::ok});  // on receipt, as always
    held_write_ = std::move(op);
    return {};
  }
  ReplicateOp held = std::move(*held_write_);
  held_write_.reset();
  std::swap(held.sequence, op.sequence);
  if (std::string bad = apply(std::move(op)); !bad.empty()) return bad;
  return apply(std::move(held));
}

std::string Replica::on_checkpoint(const Checkpoint& checkpoint) {
  if (!started_) return "checkpoint before replication_start";
  // CANARY apply_out_of_order (held_write_ is always empty otherwise): a write no op
  // followed goes before the checkpoint.
  if (held_write_) {
    if (std::string bad = apply(*std::exchange(held_write_, std::nullopt)); !bad.empty()) return bad;
  }
  const std::uint64_t through = checkpoint.through;
  if (through + 1 != next_expected_) {
    return "checkpoint through " + std::to_string(through) + " out of order: the last op was " + std::to_string(next_expected_ - 1);
  }
  const io::Error queued = applier_.checkpoint([this, through, connection = connection_](io::Error result) {
    if (connection == connection_) outbox_.send(CheckpointAck{through, result});
  });
  if (queued != io::Error::ok) {
    return "cannot queue checkpoint through " + std::to_string(through) + ": " + std::string(io::error_name(queued));
  }
  return {};
}

void Replica::on_applied(std::uint64_t sequence, io::Error result, bool acknowledged) {
  HM_ASSERT(sequence > last_applied_);  // the applier keeps the order
  last_applied_ = sequence;
  applied_through_ = std::max(applied_through_, sequence);
  if (!acknowledged) outbox_.send(OpAck{sequence, result});
  if (!acknowledged || result == io::Error::ok) return;
  if (!fails_alike_on_a_mirror(result) || !listener_.on_failure_awaiting_primary) {
    listener_.on_apply_failed(sequence, result);
    return;
  }
  awaiting_primary_[sequence] = result;
  listener_.on_failure_awaiting_primary(sequence, result);
  outbox_.send(OpAck{sequence, result});
}

// The primary's copy failed this op alike: both still hold the same.
std::string Replica::on_primary_failed_alike(const OpAck& answer) {
  const auto found = awaiting_primary_.find(answer.sequence);
  if (found == awaiting_primary_.end() || found->second != answer.result) {
    return "op_ack for op " + std::to_string(answer.sequence) + " (" + std::string(io::error_name(answer.result)) +
           "), which this copy did not report failed so";
  }
  awaiting_primary_.erase(found);
  if (awaiting_primary_.empty()) listener_.on_failures_confirmed();
  return {};
}

}  // namespace hamirror::core
