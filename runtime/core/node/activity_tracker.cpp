#include "core/node/activity_tracker.h"

#include <algorithm>
#include <utility>

#include "core/canary.h"
#include "core/replication/file_op.h"
#include "io/assert.h"

namespace hamirror::core {
namespace {

constexpr const char* kActivityLogFileName = "activity";
constexpr const char* kDirtyRecordFileName = "dirty";

}  // namespace

struct ActivityTracker::State : std::enable_shared_from_this<State> {
  State(io::FileSystem& fs, io::Clock& clock, const std::string& state_dir, ActivityTrackerOptions options_in, ActivityLogFn log_fn_in)
      : log_fn(std::move(log_fn_in)),
        options(options_in),
        log(fs, io::join_path(state_dir, kActivityLogFileName), options.activity, log_fn),
        record(fs, io::join_path(state_dir, kDirtyRecordFileName), log_fn),
        dirty(options.activity.block_bytes),
        timer(clock.make_timer()) {}

  // Makes the dirty map durable; the save retires the extents of the ops it holds.
  void flush() {
    if (!changed) return;
    const std::uint64_t through = marked_through;
    if (record.save(dirty, through, [weak = weak_from_this(), through](io::Error result) {
          const auto self = weak.lock();
          if (self) self->on_saved(through, result);
        }) != io::Error::ok) {
      return;  // enough saves wait already; the next flush carries these marks
    }
    changed = false;
  }

  void on_saved(std::uint64_t through, io::Error result) {
    if (result != io::Error::ok) {
      // The extents stay active (the marks are still covered); the next flush retries.
      log_fn("cannot save the dirty record (" + std::string(io::error_name(result)) + "); extents stay active");
      changed = true;
      return;
    }
    log.retire_through(through);
    // The recovered marks are part of the map since load(): durable here now.
    if (pinned) {
      log.release_recovered();
      pinned = false;
    }
  }

  ActivityLogFn log_fn;
  ActivityTrackerOptions options;
  ActivityLog log;
  DirtyRecord record;
  DirtyMap dirty;
  std::unique_ptr<io::Timer> timer;
  bool alone = false;
  bool pinned = false;   // the log holds recovered entries until the map is durable
  bool changed = false;  // the map holds marks not yet handed to a save
  bool compacting = false;  // a rewrite of the activity record without retired extents is under way
  std::uint64_t durable_before = 0;  // the previous checkpoint's `through` (PRIM)
  std::uint64_t marked_through = 0;
};

ActivityTracker::ActivityTracker(io::FileSystem& fs, io::Clock& clock, const std::string& state_dir,
                                 ActivityTrackerOptions options, ActivityLogFn log)
    : state_(std::make_shared<State>(fs, clock, state_dir, options, std::move(log))) {
  HM_ASSERT(options.flush_interval_ms > 0);
}

ActivityTracker::~ActivityTracker() = default;

void ActivityTracker::load(bool first_start, std::function<void(io::Error)> done) {
  std::weak_ptr<State> weak = state_;
  if (first_start) {
    // Both records exist from now on, so a missing one later means a lost one.
    state_->log.load(false, [weak, done](LoadedActivity) {
      const auto self = weak.lock();
      if (!self) return;
      self->log.compact([weak, done](io::Error compacted) {
        const auto self = weak.lock();
        if (!self) return;
        if (compacted != io::Error::ok) return done(compacted);
        if (self->record.save(self->dirty, 0, [weak, done](io::Error saved) {
              if (weak.lock()) done(saved);
            }) != io::Error::ok) {
          done(io::Error::would_block);
        }
      });
    });
    return;
  }
  state_->log.load(true, [weak, done](LoadedActivity activity) {
    const auto self = weak.lock();
    if (!self) return;
    if (activity.state != RecordState::loaded) {
      self->log_fn("activity log " + std::string(record_state_name(activity.state)) + ": everything counts as changed");
    }
    self->dirty.merge(activity.dirty);
    self->pinned = activity.entries > 0;
    self->record.load(true, [weak, done](LoadedDirtyMap loaded) {
      const auto self = weak.lock();
      if (!self) return;
      if (loaded.state != RecordState::loaded) {
        self->log_fn("dirty record " + std::string(record_state_name(loaded.state)) + ": everything counts as changed");
      }
      self->dirty.merge(loaded.map);
      self->marked_through = loaded.through_sequence;
      done(io::Error::ok);
    });
  });
}

Admit ActivityTracker::before_write(std::uint64_t sequence, const FileOp& op, ActivityLog::GoFn go) {
  if (canary_planted(ProtocolCanary::no_activity_record_while_prim) && !state_->alone) {  // CANARY: nothing recorded
    return {Admission::proceed_now, io::Error::ok};
  }
  return state_->log.before_write(sequence, op, std::move(go));
}

void ActivityTracker::on_completed(std::uint64_t sequence, const FileOp& op, io::Error result) {
  State& s = *state_;
  if (!s.alone) {
    // PRIM: a disk failure on either copy (the other may have applied the op) leaves
    // the copies different where it wrote, and a later checkpoint would retire that
    // (seed 1375: a primary's failed write, its inconsistent mark lost to the same
    // disk, then a meeting in the same generation as equals).
    if (is_disk_failure(result)) s.log.keep_until_resync(op);
    return;
  }
  // An op failed by fencing may still be applied here afterwards: mark what it may do.
  const io::Error outcome = result == io::Error::read_only ? io::Error::io_error : result;
  if (op.kind == OpKind::write) {
    if (may_have_changed(outcome)) s.dirty.mark_bytes(FileKey{op.directory, op.path}, op.offset, op.size_bytes);
  } else {
    s.dirty.mark(op, outcome);
  }
  s.marked_through = std::max(s.marked_through, sequence);
  s.changed = true;
  if (s.log.full()) s.flush();
}

void ActivityTracker::begin_alone(std::uint64_t last_issued) {
  State& s = *state_;
  if (s.alone) return;
  s.alone = true;
  // Every op not yet durable on both copies, as precisely as memory knows it.
  s.dirty.merge(s.log.uncertain());
  s.marked_through = std::max(s.marked_through, last_issued);
  s.changed = true;
  s.flush();
  const std::int64_t interval_ns = s.options.flush_interval_ms * io::kNsPerMs;
  s.timer->start(interval_ns, interval_ns, [weak = std::weak_ptr<State>(state_)] {
    if (const auto self = weak.lock()) self->flush();
  });
}

void ActivityTracker::end_alone() {
  state_->alone = false;
  state_->timer->stop();
}

bool ActivityTracker::alone() const { return state_->alone; }

void ActivityTracker::on_durable_on_both(std::uint64_t through, Retiring retiring) {
  State& s = *state_;
  if (s.alone) return;
  // Hot extents stay active: an extent written since the checkpoint before this one
  // retires at the next, if nothing writes it meanwhile. Retiring one a writer still
  // uses would make its next write wait for a record write, and under a stream of
  // writes that record's flush waits behind the page cache's writeback (~200 ms here).
  // A full log retires all it may at once: writers are waiting for room.
  const bool all = retiring == Retiring::everything_durable || s.log.full();
  const std::uint64_t retire = all ? through : std::min(through, s.durable_before);
  s.durable_before = through;
  const std::size_t before = s.log.active_count();
  s.log.retire_through(retire);
  if (s.log.active_count() == before || s.compacting || s.log.failed()) return;
  s.compacting = true;
  s.log.compact([weak = std::weak_ptr<State>(state_)](io::Error result) {
    const auto self = weak.lock();
    if (!self) return;
    self->compacting = false;
    if (result != io::Error::ok) {
      self->log_fn("cannot rewrite the activity record without its retired extents (" +
                   std::string(io::error_name(result)) + "); they count as changed after a restart");
    }
  });
}

bool ActivityTracker::wants_checkpoint() const { return state_->log.full(); }

DirtyMap ActivityTracker::marks() const {
  DirtyMap marks = state_->dirty;
  marks.merge(state_->log.uncertain());
  return marks;
}

void ActivityTracker::forget_marks(std::function<void(io::Error)> done) {
  State& s = *state_;
  s.dirty.clear();
  s.changed = false;
  std::weak_ptr<State> weak = state_;
  const io::Error queued = s.record.save(s.dirty, s.marked_through, [weak, done](io::Error result) {
    const auto self = weak.lock();
    if (!self) return;
    if (result != io::Error::ok) return done(result);
    if (self->pinned) {
      self->log.release_recovered();
      self->pinned = false;
    }
    // The released entries leave the record on disk too: a later crash must not
    // bring back marks a resync already covered.
    self->log.compact([weak, done](io::Error compacted) {
      if (weak.lock()) done(compacted);
    });
  });
  if (queued != io::Error::ok) done(queued);
}

bool ActivityTracker::failed() const { return state_->log.failed(); }
void ActivityTracker::set_failure_listener(std::function<void(io::Error)> listener) {
  state_->log.set_failure_listener(std::move(listener));
}
std::uint64_t ActivityTracker::marked_through() const { return state_->marked_through; }
std::size_t ActivityTracker::active_extents() const { return state_->log.active_count(); }

FileOp ActivityTracker::shape_of(const FileOp& op) {
  return FileOp{.kind = op.kind,
                .directory = op.directory,
                .path = op.path,
                .target = op.target,
                .offset = op.offset,
                .size_bytes = op.kind == OpKind::write ? op.data.size() : op.size_bytes,
                .mtime_ns = op.mtime_ns,
                .exclusive = op.exclusive};
}

}  // namespace hamirror::core
