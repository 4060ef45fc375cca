#include "core/replication/replicator.h"

#include <utility>

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

Replicator::Replicator(io::FileSystem& fs, std::vector<std::string> roots, Listener listener)
    : applier_(fs, std::move(roots)), listener_(std::move(listener)) {
  HM_ASSERT(listener_.on_secondary_failed);
}

io::Error Replicator::submit(FileOp op, DoneFn done) {
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
  if (frame.header.type != wire::MessageType::op_ack) {
    return "unexpected " + std::to_string(static_cast<int>(frame.header.type)) + " frame from the secondary";
  }
  auto ack = wire::decode_message<OpAck>(frame);
  if (!ack) return ack.error();
  const std::uint64_t sequence = ack.value().sequence;
  if (sequence >= next_sequence_) return "ack for op " + std::to_string(sequence) + ", which was never sent";
  const auto found = in_flight_.find(sequence);
  // An op a policy change already completed or failed may still be acknowledged.
  if (found == in_flight_.end() || !found->second.needs_ack) return {};
  on_ack(ack.value());
  return {};
}

void Replicator::on_ack(const OpAck& ack) {
  InFlight& entry = in_flight_.at(ack.sequence);
  entry.needs_ack = false;
  entry.needs_secondary = false;
  entry.secondary_result = ack.result;
  complete_if_ready(ack.sequence);
}

void Replicator::complete_if_ready(std::uint64_t sequence) {
  auto found = in_flight_.find(sequence);
  HM_ASSERT(found != in_flight_.end());
  InFlight& entry = found->second;
  if (!entry.local_done || entry.needs_secondary) return;
  // Both copies must agree; a copy that failed what the other applied has diverged.
  io::Error result = entry.local_result;
  if (result == io::Error::ok && entry.secondary_result != io::Error::ok) {
    result = entry.secondary_result;
    listener_.on_secondary_failed(sequence, entry.secondary_result);
  }
  DoneFn done = std::move(entry.done);
  in_flight_bytes_ -= entry.bytes;
  in_flight_.erase(found);
  ++ops_completed_;
  done(result);
}

void Replicator::set_policy(AckPolicy policy) {
  policy_ = policy;
  if (policy == AckPolicy::wait_for_secondary) return;
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

void Replicator::attach(wire::FramedConnection& link) {
  for (const auto& [sequence, entry] : in_flight_) HM_ASSERT(!entry.needs_secondary);
  outbox_.attach(&link);
  outbox_.send(ReplicationStart{next_sequence_});
}

void Replicator::detach() {
  outbox_.detach();
  // Sent but unacknowledged ops now wait for the policy: the ack may never come.
  for (auto& [sequence, entry] : in_flight_) entry.needs_ack = false;
}

}  // namespace hamirror::core
