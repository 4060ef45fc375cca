// The secondary's side of synchronous replication: applies the primary's ops to its
// copy strictly in sequence order — nothing else writes there — and acknowledges each.
//
// async="none" (our default): an op is acknowledged once applied to this copy.
// async="second" (SafeKit's default): acknowledged on receipt and applied afterwards,
// in order; an fsync is still acknowledged only once applied, so "durable on both
// copies" keeps its meaning.
//
// With async="second" an op this copy fails after acknowledging it is a divergence,
// unless the primary failed it alike (a writer's unlink of a missing file): the
// failure goes back as a second OpAck carrying the error, and the primary echoes it
// if its own copy gave that error (see Listener::on_failure_awaiting_primary).
//
// A Checkpoint from the primary is queued on the applier after the ops before it (with
// async="second" they may still be applying) and answered with a CheckpointAck once
// every op up to it is durable on this copy. An answer due on an earlier connection is
// never sent on a later one.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/replication/frame_outbox.h"
#include "core/replication/op_applier.h"
#include "core/replication/replication_messages.h"

namespace hamirror::core {

enum class AsyncMode : std::uint8_t { none, second };

class Replica {
 public:
  struct Listener {
    // This copy failed an op the primary applied (with async="second" the primary was
    // already told "ok"): the copy is no longer a faithful mirror and must be
    // reintegrated before it may ever be promoted.
    std::function<void(std::uint64_t sequence, io::Error result)> on_apply_failed;
    // async="second": this copy failed an op it had acknowledged on receipt, with an
    // error an equal copy gives too (fails_alike_on_a_mirror). It reports the failure
    // to the primary, which answers only if its copy failed the op alike and drops the
    // link otherwise. Until every such op is answered this copy counts as diverged
    // (awaited), then as a mirror again (confirmed). Optional for tests of async="none".
    std::function<void(std::uint64_t sequence, io::Error result)> on_failure_awaiting_primary;
    std::function<void()> on_failures_confirmed;
  };

  // clock: ops that arrive together start together (op_applier.h).
  Replica(io::FileSystem& fs, io::Clock& clock, std::vector<std::string> roots, AsyncMode mode, Listener listener);

  void attach(wire::FramedConnection& link);
  void detach();
  // Returns why the frame breaks the protocol ("" if it does not).
  std::string on_frame(const wire::Frame& frame);
  void on_writable() { outbox_.flush(); }

  // Makes every op applied or queued so far durable on this copy (a checkpoint no
  // primary asked for); done(ok) once it is. For a secondary about to take over.
  io::Error make_durable(std::function<void(io::Error)> done) { return applier_.checkpoint(std::move(done)); }

  // Every op up to this sequence number is applied to this copy.
  std::uint64_t applied_through() const { return applied_through_; }

 private:
  std::string on_start(const ReplicationStart& start);
  std::string on_op(ReplicateOp op);
  std::string apply(ReplicateOp op);
  std::string apply_out_of_order(ReplicateOp op);  // the canary of that name (core/canary.h)
  std::string on_checkpoint(const Checkpoint& checkpoint);
  std::string on_primary_failed_alike(const OpAck& answer);
  void on_applied(std::uint64_t sequence, io::Error result, bool acknowledged);

  OpApplier applier_;
  AsyncMode mode_;
  Listener listener_;
  FrameOutbox outbox_;
  bool started_ = false;
  std::uint64_t connection_ = 0;  // counts attaches: answers belong to one connection
  std::uint64_t next_expected_ = 0;
  std::uint64_t applied_through_ = 0;
  std::uint64_t last_applied_ = 0;
  // Failures reported to the primary on this connection and not answered yet.
  std::map<std::uint64_t, io::Error> awaiting_primary_;
  std::optional<ReplicateOp> held_write_;  // apply_out_of_order's canary only
};

}  // namespace hamirror::core
