// The node's activity record (core/activity): the activity log of extents and the
// dirty map of what changed while ALONE, run by the protocol of
// core/activity/README.md, "The protocol the node follows":
//
// - every op a primary issues is admitted by the log first (before_write);
// - PRIM: extents retire when both copies are durable through a sequence number (the
//   replication layer's checkpoint, on_durable_on_both), one checkpoint late: an
//   extent written since the checkpoint before stays active (a hot one stays for good);
// - going ALONE: the log's uncertain marks (every op not yet durable on both) join the
//   dirty map; from then on every op completed here is marked, the map is saved lazily
//   (every flush_interval, at once when the log is full) and a save retires the extents
//   of the ops it holds;
// - after a restart the marks both records hold are this node's recovered marks; they
//   stay pinned in the log until they are durable in the dirty record or a resync
//   covered them.
//
// marks() is what this copy may hold that a copy at the same data point lacks (and the
// reverse); a fast reintegration sends the union of both nodes' marks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/activity/activity_log.h"
#include "core/activity/dirty_record.h"
#include "io/clock.h"
#include "io/filesystem.h"

namespace hamirror::core {

// How long ALONE marks may live only in memory (they are covered by active extents
// meanwhile, so this bounds the log's growth, not safety).
constexpr std::int64_t kDefaultDirtyFlushIntervalMs = 1000;

struct ActivityTrackerOptions {
  ActivityOptions activity;
  std::int64_t flush_interval_ms = kDefaultDirtyFlushIntervalMs;
};

class ActivityTracker {
 public:
  ActivityTracker(io::FileSystem& fs, io::Clock& clock, const std::string& state_dir, ActivityTrackerOptions options,
                  ActivityLogFn log);
  ~ActivityTracker();
  ActivityTracker(const ActivityTracker&) = delete;
  ActivityTracker& operator=(const ActivityTracker&) = delete;

  // first_start: this node has no state yet; both records are created empty. Otherwise
  // both must exist: a lost or damaged one loads as "everything dirty" (and says so).
  // done(ok) once usable; an error when the records cannot be written.
  void load(bool first_start, std::function<void(io::Error)> done);

  Admit before_write(std::uint64_t sequence, const FileOp& op, ActivityLog::GoFn go);
  // An op issued here completed on this copy with `result`. `op` may have its data
  // dropped if size_bytes holds the write's length (see shape_of).
  void on_completed(std::uint64_t sequence, const FileOp& op, io::Error result);

  // The node acknowledges writes alone from now on; last_issued: the last sequence
  // number it issued before.
  void begin_alone(std::uint64_t last_issued);
  // PRIM again (the peer is synchronised): marks come from the extents again.
  void end_alone();
  bool alone() const;
  // Both copies are durable for every op up to `through` (PRIM): retires what the
  // previous call's `through` covered (all of `through` when the log is full, or with
  // everything_durable). When
  // that retired extents, the record on disk is rewritten without them (one write at a
  // time): a restart, clean or not, then counts as changed only what may still differ.
  // everything_durable: no write follows (the role is handed over): all of `through`.
  enum class Retiring : std::uint8_t { one_checkpoint_late, everything_durable };
  void on_durable_on_both(std::uint64_t through, Retiring retiring = Retiring::one_checkpoint_late);
  // The log is full: writers wait until a checkpoint (PRIM) or a save (ALONE) retires.
  bool wants_checkpoint() const;

  DirtyMap marks() const;
  // A resync made the peer's copy equal to this one and both are durable: the marks
  // are no longer needed. done(result) once the empty record is durable.
  void forget_marks(std::function<void(io::Error)> done);

  bool failed() const;
  // See ActivityLog::set_failure_listener.
  void set_failure_listener(std::function<void(io::Error)> listener);
  std::size_t active_extents() const;
  // The last op number the dirty record covers (loaded, or marked since): a node's
  // op numbers continue above it after a restart, so a save counted in the last run's
  // numbers never retires the extents of this run's ops.
  std::uint64_t marked_through() const;
  // The op without its data, the write's length in size_bytes: what marking needs.
  static FileOp shape_of(const FileOp& op);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace hamirror::core
