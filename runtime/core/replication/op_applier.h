// Applies FileOps to a node's replicated directories on its io::FileSystem, strictly
// one at a time in the order given (across directories too) — the primary applies its own writes with it, the
// secondary the primary's. Keeps a small cache of open handles so a stream of writes
// to one file costs one open. Writes queued back to back to one file go to the
// FileSystem together (write_batch: one round trip to libuv's thread pool instead of
// one per write, which bounded a stream of 64 KiB writes); they complete in order, and
// those after one that failed are applied afresh, as one at a time.
//
// Durable checkpoints: the applier remembers what it changed since the last checkpoint
// (see changed_set.h), and the names it was asked to keep durable; checkpoint(done),
// queued in order like an op, fsyncs each file and directory changed (or kept) before
// it, so that done(ok) means "every op applied before the checkpoint survives a power
// cut" (from kSyncFileSystemFrom names on, by one flush of the whole file system). That
// set is bounded: when it is full the applier syncs it before applying the next op (an
// early, implicit checkpoint).
//
// A sync runs beside the ops after it. Flushing what a stream of writes left in the
// page cache takes the disk hundreds of milliseconds, and a copy that stopped applying
// meanwhile stalled the whole replication pipeline. Later writes only make more durable,
// so they go on; what could change the names a sync is flushing waits until it ends:
// ops that create, remove or move a name, and the next sync. A sync flushes through
// handles of its own, which no later op closes. Ops still complete in order, and
// checkpoints in order, but a checkpoint's done may come after later ops' completions.
//
// A failed sync is sticky: after a failed fsync the system may have dropped the data it
// could not write (Linux does), so no later sync can prove it durable. Every later
// checkpoint fails with the first such error; this copy needs reintegration.
//
// An fsync op flushes the file, then its directory unless this applier already flushed
// that directory and changed no entry in it since (a file rewritten and fsynced again
// and again costs one flush, not two).
//
// Given a clock, an applier with nothing queued starts what is queued next on the
// loop's next turn (a zero-delay timer), not inside the call that queued it: ops queued
// in the same turn go to the FileSystem together. A secondary decodes a write and the
// fsync behind it from one read; started at once, the write went to the thread pool
// alone and the fsync followed in a second round trip.
//
// Destroying the applier drops the completions of ops still queued or in flight (the
// FileSystem must outlive it); cached handles are closed without waiting.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/replication/changed_set.h"
#include "core/replication/file_op.h"
#include "io/clock.h"
#include "io/filesystem.h"

namespace hamirror::core {

constexpr std::size_t kMaxCachedHandles = 64;
constexpr std::size_t kMaxQueuedOps = 4096;  // ops and checkpoints
// Bytes of queued writes handed to the FileSystem in one call (see above; at least one
// write). Every write of a batch completes when the last one is done, so a batch holds
// one large write's worth: 16 writes of 64 KiB, a 1 MiB write alone.
constexpr std::uint64_t kMaxBatchedWriteBytes = std::uint64_t{1} << 20;
// Files or directories a checkpoint syncs at once.
constexpr std::size_t kMaxParallelSyncs = 8;
// Names from which a checkpoint flushes each file system holding a replicated
// directory once (FileSystem::sync_file_system: one journal commit) instead of
// syncing each name: a reintegration's last checkpoint syncs ~900 files.
constexpr std::size_t kSyncFileSystemFrom = 64;
// Directories remembered as flushed (see above); forgetting them costs a flush.
constexpr std::size_t kMaxDurableDirectories = 1024;

class OpApplier {
 public:
  using DoneFn = std::function<void(io::Error)>;

  // roots[i] is the native path of replicated directory i. next_turn: see above (null:
  // what is queued on an idle applier starts at once).
  OpApplier(io::FileSystem& fs, std::vector<std::string> roots, io::Clock* next_turn = nullptr);
  ~OpApplier();
  OpApplier(const OpApplier&) = delete;
  OpApplier& operator=(const OpApplier&) = delete;

  // Queues op; done(result) runs once it was applied (or failed). would_block, with
  // done not called, when kMaxQueuedOps are already waiting; invalid_argument for an
  // op that does not validate().
  io::Error apply(FileOp op, DoneFn done);
  // Queues a durable checkpoint after every op queued so far; done(ok) runs once each
  // of them is durable (done never runs inside the call), else done(the first error,
  // or the sticky one). would_block, with done not called, when the queue is full.
  io::Error checkpoint(DoneFn done);
  // Queues, in order like an op, a name the next checkpoint must make durable though
  // no op here changed it: what this copy held before the applier existed and a
  // comparison found right may never have been synced (a daemon that crashed left it
  // in the page cache). kind regular: the file is fsynced; directory: its entries are
  // flushed. Noted with what the ops changed, so a name is synced once per checkpoint.
  // would_block when the queue is full; invalid_argument for a bad name.
  io::Error keep_durable(std::uint32_t directory, std::string path, io::FileKind kind);
  // Queues, in order like an op, closing every cached handle: for a caller whose names
  // another applier may rename or remove next, so that no later op here writes through
  // a handle to what a name meant before. would_block when the queue is full.
  io::Error close_cached_handles();
  // Names changed since the last checkpoint (or implicit sync).
  std::size_t changed_names() const;
  std::size_t queued() const;
  const std::vector<std::string>& roots() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace hamirror::core
