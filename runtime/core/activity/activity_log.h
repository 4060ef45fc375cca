// The coarse level of the activity record, as DRBD's activity log: the set of active
// extents (default 4 MiB of one file) is durable on disk BEFORE a write into an extent
// not yet active is issued locally — in every primary state, PRIM and ALONE alike. An
// extent stays active until both copies are durable for every op that touched it.
// After any crash, every extent the record holds is dirty: that covers what a crashed
// primary applied locally but never got acknowledged, and what a crashed secondary
// acknowledged but had not made durable (the primary's extents stay active for it).
//
// Besides extents the log holds two other kinds of entries, so that no op can change
// a copy unrecorded: a truncate's tail (everything from its extent on) and the names a
// namespace op touches (create, mkdir, rename, unlink, rmdir, set_mtime, set_mode).
//
// Use (the node, for every op the primary numbers, in sequence order):
//
//   switch (log.before_write(sequence, op, go).what) {
//     case Admission::proceed_now: issue op now; go is never called
//     case Admission::wait_for_go: go(result) runs later; issue op only if result is ok
//     case Admission::refused:     not admitted (a full waiting queue, or the record's
//                                  disk failed); go is never called
//   }
//
// go callbacks run in sequence order, never inside a call to this class, and a
// later op never proceeds before an earlier one that waits: issuing each op when it is
// admitted keeps the replicator's order.
//
// Retiring: retire_through(c) when both copies are durable for every op up to c (the
// secondary's durable checkpoint while PRIM; the dirty record's flush while ALONE,
// see README.md). Retirements reach the disk lazily, with the next write of the
// record or compact(); until then the record is a superset, which is safe.
//
// The bound: at most max_active entries (kMaxActiveExtents by default) are active. An
// op that needs more waits — and holds back every op after it — until retirements
// make room; full() tells the node to ask for a checkpoint (or, ALONE, to flush).
//
// Record writes fail only when the disk does; that failure is sticky: every op waiting
// fails with it and every later op not already covered is refused, since a primary
// that cannot record its activity must stop writing.
#pragma once

#include <compare>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/activity/dirty_map.h"
#include "core/activity/dirty_record.h"
#include "io/filesystem.h"

namespace hamirror::core {

constexpr std::uint64_t kDefaultExtentBytes = std::uint64_t{4} << 20;
// DRBD's al-extents default: 1024 × 4 MiB = 4 GiB may be active (resent after a crash).
constexpr std::size_t kMaxActiveExtents = 1024;
// Ops waiting to be admitted; more than the replicator keeps in flight.
constexpr std::size_t kMaxWaitingOps = 4096;
// The fine bitmap kept per active extent (in memory only) has at most this many bits.
constexpr std::uint64_t kMaxBlocksPerExtent = 4096;
// Extents named ahead of a sequential writer (see ActivityOptions::extents_ahead):
// 4 × 4 MiB, so a writer's next extent is durable in the record before it gets there.
constexpr std::size_t kDefaultExtentsAhead = 4;
constexpr std::size_t kMaxExtentsAhead = 64;
// The record holds at most max_active entries of at most a path each.
constexpr std::uint64_t kMaxActivityRecordBytes = std::uint64_t{8} << 20;

struct ActivityOptions {
  std::uint64_t extent_bytes = kDefaultExtentBytes;  // a multiple of block_bytes
  std::uint64_t block_bytes = kDefaultBlockBytes;    // the fine granularity of uncertain()
  std::size_t max_active = kMaxActiveExtents;        // >= the entries one op can need
  // A write that continues a sequential stream (it reaches the second half of its
  // extent, and its first extent, or the one before, is active already or is extent
  // 0) names this many extents past its last one too, in the same record write or in one started beside the data write:
  // the writer then finds them durable instead of stopping for a record write at every
  // new extent (bench/suite). Naming more is always safe, it only widens a resync after
  // a crash. Each later write of the stream keeps them active. They take at most half
  // of max_active, so they never hold back an op that needs room. 0: none.
  std::size_t extents_ahead = kDefaultExtentsAhead;
};

enum class ActiveKind : std::uint8_t {
  extent,  // bytes [index * extent_bytes, (index + 1) * extent_bytes) of the file
  tail,    // bytes from index * extent_bytes to the end of the file (a truncate)
  name,    // the entry and all it holds (unlink, rename): resent whole after a crash
  meta,    // the entry itself, not its contents (create, mkdir, rmdir, set_mtime, set_mode)
};

struct ActiveKey {
  FileKey file;
  ActiveKind kind = ActiveKind::extent;
  std::uint64_t index = 0;  // extent and tail; 0 otherwise
  friend auto operator<=>(const ActiveKey&, const ActiveKey&) = default;
  friend bool operator==(const ActiveKey&, const ActiveKey&) = default;
};

enum class Admission : std::uint8_t { proceed_now, wait_for_go, refused };

struct Admit {
  Admission what = Admission::proceed_now;
  io::Error error = io::Error::ok;  // refused: would_block (queue full) or the sticky failure
};

struct LoadedActivity {
  RecordState state = RecordState::missing;
  // Every entry the record held, as dirty marks: whole extents, tails from their
  // extent's start, names whole. Everything when the record could not be trusted.
  DirtyMap dirty;
  std::size_t entries = 0;
};

class ActivityLog {
 public:
  using GoFn = std::function<void(io::Error)>;

  // path: the record file (its directory must exist). log: one line per record that
  // could not be trusted and per write failure.
  ActivityLog(io::FileSystem& fs, std::string path, ActivityOptions options, ActivityLogFn log);
  ~ActivityLog();
  ActivityLog(const ActivityLog&) = delete;
  ActivityLog& operator=(const ActivityLog&) = delete;

  // Must complete before the first before_write. expect_record as in DirtyRecord.
  // The entries found stay active, pinned, until release_recovered(): call it once
  // their marks are durable elsewhere (the dirty record) or the resync that covers
  // them is done — a second crash before then still finds them here.
  void load(bool expect_record, std::function<void(LoadedActivity)> done);
  void release_recovered();

  // sequence: the op's number; never below the previous call's. Equal is allowed: an
  // op admitted but then refused before it reached any disk leaves its number to the
  // next op, which only makes the earlier entry retire with it.
  Admit before_write(std::uint64_t sequence, const FileOp& op, GoFn go);
  void retire_through(std::uint64_t sequence);
  // The op (or its shape: a write's length in size_bytes) failed on one copy and may
  // have been applied on the other: the copies may differ in what it touched, whatever
  // later checkpoints say. Its entries stay active -- in the record on disk too --
  // until release_recovered() (a resync covered them, or the dirty record holds them).
  void keep_until_resync(const FileOp& op);
  // Writes the record now with only the entries still active (retirements reach the
  // disk); done(ok) once durable. Runs after any write in flight.
  void compact(io::FileSystem::DoneFn done);

  // The marks of every op not yet durable on both copies, as precisely as memory
  // holds them: the blocks written in each active extent, the smallest cut of each
  // tail, the names. Merge it into the dirty map when going ALONE (README.md).
  DirtyMap uncertain() const;

  std::size_t active_count() const;
  std::size_t waiting_ops() const;
  // An op waits for room: retirements are needed.
  bool full() const;
  bool failed() const;
  // Told once, when a record write first fails (a rewrite that only retires extents
  // too): the node must not wait for a writer to be refused to act on it.
  void set_failure_listener(std::function<void(io::Error)> listener);
  std::uint64_t record_writes() const;
  std::vector<ActiveKey> active_keys() const;  // sorted
  // The keys an op needs (sorted, distinct).
  std::vector<ActiveKey> keys_of(const FileOp& op) const;
  const ActivityOptions& options() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

std::string_view active_kind_name(ActiveKind kind);

}  // namespace hamirror::core
