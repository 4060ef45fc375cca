// The node's write path: every op a frontend submits while this node is primary goes,
// one at a time and in submission order, through the activity log's admission
// (ActivityTracker::before_write: the extent is durable in the record before the op
// touches this copy), then to whatever applies it now — the Replicator, or the
// reintegration source while a peer is being brought back.
//
// Sequence numbers: the activity log numbers an op with the Replicator's next
// sequence number. Only one op is ever admitted and not yet issued, and nothing else
// issues ops, so the number the log recorded is the number the op gets; an assertion
// checks it at every issue.
//
// Holding, not dropping: when the applier is full (would_block) the admitted op stays
// at the head, intact, and is issued again on the next completion or kick(). Writers
// see would_block only when the queue here is full.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "core/node/activity_tracker.h"
#include "core/replication/file_op.h"

namespace hamirror::core {

// Ops waiting here for admission or for room in the applier.
constexpr std::size_t kMaxWaitingWrites = 4096;

class WritePath {
 public:
  using DoneFn = std::function<void(io::Error)>;
  // Hands an admitted op on. ok: consumed, done runs later. would_block: op and done
  // are left intact; they are offered again later. Any other error fails the op.
  using IssueFn = std::function<io::Error(FileOp&& op, DoneFn&& done)>;
  using NextSequenceFn = std::function<std::uint64_t()>;
  // An op issued here completed (the writer is told right after).
  using CompletedFn = std::function<void(std::uint64_t sequence, const FileOp& shape, io::Error result)>;

  WritePath(ActivityTracker& tracker, NextSequenceFn next_sequence, IssueFn issue, CompletedFn on_completed);
  ~WritePath();
  WritePath(const WritePath&) = delete;
  WritePath& operator=(const WritePath&) = delete;

  // ok: queued, done runs once. would_block: kMaxWaitingWrites wait already.
  io::Error submit(FileOp op, DoneFn done);
  // The applier may have room again (a completion elsewhere, a new applier).
  void kick();
  // Every op not yet issued fails with `error` (the node stops being primary).
  void fail_waiting(io::Error error);
  // As fail_waiting, the op awaiting its go too: for a node that drops this path and
  // the activity log with it, so the go will never come. Nothing runs after it.
  void abandon(io::Error error);
  std::size_t waiting() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace hamirror::core
