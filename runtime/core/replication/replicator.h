// The primary's side of synchronous replication.
//
// Every op submitted is numbered, applied to the local copy, and — while the ack
// policy is wait_for_secondary — sent to the secondary. Its completion runs only when
// the local apply finished AND the secondary acknowledged it: a writer never hears
// "done" for data that only one copy has (RPO 0).
//
// The policy is the node's decision, never the replicator's:
// - wait_for_secondary: completions wait for the secondary's ack. With no secondary
//   attached (the link just broke), they wait: writers block, bounded by the
//   in-flight limits, until the node either re-attaches a secondary or may go on alone.
// - local_only: the node may acknowledge alone (the secondary is known outdated, or
//   this node holds the witness lease): completions need only the local apply, and ops
//   waiting for an ack that will not come complete now.
// - refuse (fenced): new ops fail with read_only, and ops not yet completed fail too —
//   they may exist on this copy only, which the next reintegration overwrites.
//
// async="second": the secondary acknowledges an op on receipt and applies it later.
// If it then fails the op, it reports the failure in a second OpAck; if this copy
// failed the op alike (fails_alike_on_a_mirror) the report is echoed back, else the
// copies differ (Listener::on_secondary_failed).
//
// Durable checkpoints (for the activity record, which retires extents only once both
// copies are durable): request_checkpoint() numbers a checkpoint after the last op
// submitted (through = next_sequence() - 1), queues it on the local applier behind
// every op before it and, under wait_for_secondary, sends it to the secondary in the
// op stream. done(through, ok) means every op up to `through` is durable (fsynced) on
// every copy the policy requires when it completes: both under wait_for_secondary,
// this one under local_only. Otherwise done(through, error):
// - cancelled: the secondary cannot confirm it — no link when it was requested, or
//   the link went before its ack; ask again once a secondary is attached;
// - read_only: the policy became refuse;
// - the local copy's error if its sync failed (sticky, see op_applier.h), else the
//   secondary's.
// done runs in the order of the requests when ok, and never inside the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/replication/frame_outbox.h"
#include "core/replication/op_applier.h"
#include "core/replication/replication_messages.h"

namespace hamirror::core {

constexpr std::size_t kMaxInFlightOps = 1024;
constexpr std::size_t kMaxInFlightBytes = 64 * 1024 * 1024;
// Checkpoints requested and not completed, and checkpoints sent on the link and not
// acknowledged (one completed by a policy change may still be acknowledged).
constexpr std::size_t kMaxPendingCheckpoints = 4;

enum class AckPolicy : std::uint8_t { wait_for_secondary, local_only, refuse };
std::string_view ack_policy_name(AckPolicy policy);

class Replicator {
 public:
  using DoneFn = std::function<void(io::Error)>;
  using CheckpointFn = std::function<void(std::uint64_t through, io::Error result)>;
  struct Listener {
    // The secondary failed an op this copy applied: the copies differ from `sequence`
    // on, and the node must reintegrate the secondary.
    std::function<void(std::uint64_t sequence, io::Error secondary_result)> on_secondary_failed;
    // This copy failed an op with a disk error (io_error, no_space) — the secondary may
    // have applied it. Optional.
    std::function<void(std::uint64_t sequence, io::Error local_result)> on_local_failed;
  };

  // first_sequence: the number of the first op (a node's replicators continue one
  // numbering across primary episodes, which its activity log relies on).
  // clock: ops submitted together start together (op_applier.h).
  Replicator(io::FileSystem& fs, io::Clock& clock, std::vector<std::string> roots, Listener listener,
             std::uint64_t first_sequence = 1);

  // ok: accepted, op and done consumed; done(result) runs later. would_block: the
  // in-flight bounds are reached (retry after a completion). read_only: the policy is
  // refuse. invalid_argument: the op does not validate. When not ok, op and done are
  // left intact and done is not called.
  io::Error submit(FileOp&& op, DoneFn&& done);

  // ok: done(through, result) runs later (see the top of this file). would_block:
  // kMaxPendingCheckpoints are pending (ask again after one completes; a later
  // checkpoint covers everything an earlier one would). read_only: the policy is
  // refuse. done is not called when not ok.
  io::Error request_checkpoint(CheckpointFn done);
  std::size_t pending_checkpoints() const { return checkpoints_.size(); }
  // Makes every op applied or queued here so far durable on this (the primary's)
  // copy, whatever the secondary does; done(ok) once it is. Before going on alone.
  io::Error make_local_durable(std::function<void(io::Error)> done) { return applier_.checkpoint(std::move(done)); }

  void set_policy(AckPolicy policy);
  AckPolicy policy() const { return policy_; }

  // Asked at the moment an op would complete without the secondary's ack: false
  // holds the completion (the witness lease is not held right now, by the live
  // clock). The node calls recheck_alone_gate() when the answer may have turned.
  void set_alone_gate(std::function<bool()> may_acknowledge_alone);
  void recheck_alone_gate();
  std::size_t held_by_alone_gate() const { return held_by_gate_; }

  // A synchronised secondary is reachable on `link`: later ops are sent to it. The
  // node attaches only when no op waits for an ack it could no longer get.
  void attach(wire::FramedConnection& link);
  // The link is gone. Ops waiting for the secondary keep waiting (see the policy).
  void detach();
  bool attached() const { return outbox_.attached(); }
  // From the link's handlers. on_frame returns why a frame breaks the protocol ("" if
  // it does not); the caller then fails the link.
  std::string on_frame(const wire::Frame& frame);
  void on_writable() { outbox_.flush(); }

  std::uint64_t next_sequence() const { return next_sequence_; }
  std::size_t in_flight() const { return in_flight_.size(); }
  // Ops that still need a secondary's acknowledgement (sent on a link now gone, or
  // waiting for one): attach() is not allowed while there are any.
  std::size_t awaiting_secondary() const;
  std::uint64_t ops_completed() const { return ops_completed_; }

 private:
  struct InFlight {
    DoneFn done;
    std::size_t bytes = 0;
    bool local_done = false;
    io::Error local_result = io::Error::ok;
    bool needs_ack = false;  // sent to the secondary and not acknowledged yet
    bool needs_secondary = false;  // must reach the secondary before completing
    bool secondary_acked = false;  // completes on the secondary's word, not alone
    io::Error secondary_result = io::Error::ok;
    bool failure_reported_late = false;  // acknowledged on receipt, then failed there
  };
  struct PendingCheckpoint {
    std::uint64_t through = 0;
    CheckpointFn done;
    bool local_done = false;
    io::Error local_result = io::Error::ok;
    bool needs_ack = false;  // sent on the current link, not acknowledged yet
    bool acked = false;      // the secondary answered secondary_result
    io::Error secondary_result = io::Error::ok;
  };
  struct SentCheckpoint {
    std::uint64_t through = 0;
    std::uint64_t id = 0;  // its key in checkpoints_ (gone once completed)
  };
  void on_local_applied(std::uint64_t sequence, io::Error result);
  std::string on_checkpoint_ack(const CheckpointAck& ack);
  void on_local_checkpoint(std::uint64_t id, io::Error result);
  void complete_checkpoint_if_ready(std::uint64_t id);
  // The link is gone or replaced: checkpoints waiting for its acks will not get them.
  void lose_secondary_checkpoints();
  void on_ack(const OpAck& ack);
  std::string on_late_failure(const OpAck& report);
  void remember_failed_after_receipt(std::uint64_t sequence, io::Error local);
  void complete_if_ready(std::uint64_t sequence);

  OpApplier applier_;
  Listener listener_;
  FrameOutbox outbox_;
  AckPolicy policy_ = AckPolicy::wait_for_secondary;
  std::uint64_t next_sequence_ = 1;
  std::function<bool()> alone_gate_;
  std::size_t held_by_gate_ = 0;  // ops the gate held at their last check
  std::map<std::uint64_t, InFlight> in_flight_;
  std::size_t in_flight_bytes_ = 0;
  std::uint64_t ops_completed_ = 0;
  std::map<std::uint64_t, PendingCheckpoint> checkpoints_;  // by request id
  std::uint64_t next_checkpoint_id_ = 1;
  std::deque<SentCheckpoint> awaiting_acks_;  // on the current link, in sending order
  // Ops this copy failed alike-on-a-mirror that the secondary acknowledged on receipt
  // (async="second"): its late report of a failure is judged against these. Kept until
  // a checkpoint ack covers them (the report comes before it on the stream), at most
  // kMaxInFlightOps of them (a report on one dropped counts as a divergence).
  std::map<std::uint64_t, io::Error> failed_after_receipt_;
};

}  // namespace hamirror::core
