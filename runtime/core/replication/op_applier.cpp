#include "core/replication/op_applier.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/replication/durable_directories.h"
#include "io/assert.h"

namespace hamirror::core {
namespace {
constexpr std::uint32_t kOwnerWrite = 0200;  // on Windows, the read-only attribute
}  // namespace

struct OpApplier::State : std::enable_shared_from_this<OpApplier::State> {
  // An op, a checkpoint, a name to keep durable (op.directory and op.path; no done), or
  // closing the cached handles (no done).
  enum class Entry : std::uint8_t { op, checkpoint, keep_file, keep_directory, close_handles };
  struct Queued {
    FileOp op;
    DoneFn done;
    Entry entry = Entry::op;
  };
  enum class SyncKind : std::uint8_t { file, file_or_directory, directory };
  // One checkpoint's (or implicit sync's) work: files first, then directories.
  struct Sync {
    std::vector<std::pair<SyncKind, std::string>> names;  // native paths
    std::set<std::uint32_t> roots;     // the replicated directories they are in
    std::size_t directories_from = 0;  // names[directories_from..] are directories
    std::size_t next = 0;
    std::size_t running = 0;
    std::size_t finished = 0;
    io::Error first_error = io::Error::ok;
    DoneFn done;
  };
  struct Cached {
    io::FileHandle handle;
    std::uint64_t last_use = 0;
  };

  io::FileSystem& fs;
  std::vector<std::string> roots;
  std::deque<Queued> queue;  // the front one is being applied
  // By native path: a handle cached for one directory's file is never used for another's.
  std::map<std::string, Cached> handles;
  std::uint64_t use_tick = 0;
  ChangedSet changed;
  DurableDirectories durable_directories{kMaxDurableDirectories};  // native paths, see entries_durable()
  io::Error sync_failure = io::Error::ok;  // sticky: the first sync that failed
  bool alive = true;
  bool syncing = false;      // a checkpoint's (or implicit) sync runs beside the queue
  bool front_waits = false;  // the front entry waits for that sync to end (not started)
  std::unique_ptr<io::Timer> next_turn;  // starts the first entry queued (op_applier.h); null: at once

  State(io::FileSystem& fs_, std::vector<std::string> roots_) : fs(fs_), roots(std::move(roots_)) {}

  // Queues an entry (would_block when kMaxQueuedOps wait already). The only one queued
  // starts now, or on the loop's next turn (op_applier.h): nothing is in flight.
  io::Error enqueue(Queued entry) {
    if (queue.size() >= kMaxQueuedOps) return io::Error::would_block;
    queue.push_back(std::move(entry));
    if (queue.size() > 1) return io::Error::ok;
    if (!next_turn) {
      start_front();
      return io::Error::ok;
    }
    HM_ASSERT(!next_turn->active());
    next_turn->start(0, 0, [this] { start_front(); });  // the timer dies with this State
    return io::Error::ok;
  }

  std::string native(const std::string& relative) const { return native_path(roots[queue.front().op.directory], relative); }

  void start_front() {
    while (!queue.empty()) {
      Queued& front = queue.front();
      // Closing the handles waits for nothing: no op is in flight here, and a sync in
      // the background flushes through handles of its own.
      if (front.entry == Entry::close_handles) {
        close_all_handles();
        queue.pop_front();
        continue;
      }
      // A name to keep durable needs no I/O: noted in its turn while the set has room.
      if (is_keep(front.entry) && !changed.full()) {
        changed.keep({front.op.directory, front.op.path}, front.entry == Entry::keep_directory);
        queue.pop_front();
        continue;
      }
      if (syncing && waits_for_sync(front)) {
        front_waits = true;
        return;
      }
      if (front.entry == Entry::checkpoint) {
        DoneFn done = std::move(front.done);
        queue.pop_front();
        sync_in_background(std::move(done));
        continue;
      }
      // The implicit checkpoint that keeps the set bounded; a failure is sticky, so the
      // next checkpoint reports it.
      if (changed.full()) {
        sync_in_background([](io::Error) {});
        continue;
      }
      return apply_front();
    }
  }

  // What may not start while a sync runs: another sync (one at a time keeps
  // checkpoints in order and their failures sticky), and an op that creates, removes or
  // moves a name (the sync may be flushing it, or noting its directory's entries
  // durable).
  bool waits_for_sync(const Queued& front) const {
    if (front.entry == Entry::checkpoint || changed.full()) return true;
    if (front.entry != Entry::op) return false;
    switch (front.op.kind) {
      case OpKind::create:
      case OpKind::mkdir:
      case OpKind::unlink:
      case OpKind::rename:
      case OpKind::rmdir: return true;
      case OpKind::write:
      case OpKind::truncate:
      case OpKind::set_mtime:
      case OpKind::set_mode:
      case OpKind::fsync: return false;
    }
    return true;
  }

  // Syncs every name noted so far while the queue goes on (see op_applier.h).
  void sync_in_background(DoneFn done) {
    HM_ASSERT(!syncing);
    syncing = true;
    sync_changed([self = shared_from_this(), done = std::move(done)](io::Error result) {
      if (!self->alive) return;
      self->syncing = false;
      if (std::exchange(self->front_waits, false)) self->start_front();
      done(result);
    });
  }

  static bool is_keep(Entry entry) { return entry == Entry::keep_file || entry == Entry::keep_directory; }

  void apply_front() {
    const FileOp& op = queue.front().op;
    changed.note(op);
    forget_durable_entries(op);
    auto finish = [self = shared_from_this()](io::Error result) { self->finish_front(result); };
    switch (op.kind) {
      case OpKind::create: return create(op, finish);
      case OpKind::write: return apply_writes();
      case OpKind::truncate: return with_handle(native(op.path), [this, finish](io::FileHandle file) {
          fs.truncate(file, queue.front().op.size_bytes, finish);
        }, finish);
      case OpKind::fsync: return with_handle(native(op.path), [this](io::FileHandle file) {
          fs.fsync(file, [self = shared_from_this()](io::Error synced) {
            if (self->alive) self->flush_directory_after(synced);
          });
        }, finish);
      case OpKind::mkdir: return make_directory(op, finish);
      case OpKind::rmdir: return fs.rmdir(native(op.path), finish);
      case OpKind::set_mtime: return fs.set_mtime(native(op.path), op.mtime_ns, finish);
      case OpKind::set_mode: return fs.set_mode(native(op.path), op.mode, finish);
      case OpKind::unlink:
        forget(native(op.path));
        return fs.unlink(native(op.path), finish);
      case OpKind::rename:
        // Closed first: Windows refuses to rename a file that is open without
        // FILE_SHARE_DELETE, and the cache must not keep a stale path.
        forget_tree(native(op.path));
        forget_tree(native(op.target));
        return fs.rename(native(op.path), native(op.target), finish);
    }
  }

  // The rest of the fsync op at the front once its file was flushed (`synced`): its
  // directory's entries, unless durable already, for a created file is durable only
  // once its directory is.
  void flush_directory_after(io::Error synced) {
    HM_ASSERT(alive && queue.front().op.kind == OpKind::fsync);
    const std::string parent = io::parent_path(native(queue.front().op.path));
    if (synced != io::Error::ok || entries_durable(parent)) return finish_front(synced);
    fs.fsync_dir(parent, [self = shared_from_this(), parent](io::Error result) {
      if (result == io::Error::ok) self->note_entries_durable(parent);
      self->finish_front(result);
    });
  }

  // The front write and the writes queued right behind it to the same file, in one
  // FileSystem::write_batch (op_applier.h), with the fsync op of that file right behind
  // them if there is one: a writer that asks for a write and its fsync together waits
  // for one hand-over to the thread pool and back, not two. They note no name the
  // front one did not.
  void apply_writes() {
    const FileOp& front = queue.front().op;
    std::vector<io::RangeWrite> writes;
    std::uint64_t bytes = 0;
    for (const Queued& queued : queue) {
      if (writes.size() == io::kMaxWriteRanges || queued.entry != Entry::op || queued.op.kind != OpKind::write ||
          queued.op.directory != front.directory || queued.op.path != front.path ||
          (!writes.empty() && bytes + queued.op.data.size() > kMaxBatchedWriteBytes)) {
        break;
      }
      writes.push_back({queued.op.offset, queued.op.data});
      bytes += queued.op.data.size();
    }
    const std::size_t batched = writes.size();
    const bool fsync_follows = batched < queue.size() && queue[batched].entry == Entry::op &&
                               queue[batched].op.kind == OpKind::fsync && queue[batched].op.directory == front.directory &&
                               queue[batched].op.path == front.path;
    const auto then = fsync_follows ? io::FileSystem::AfterBatch::fsync : io::FileSystem::AfterBatch::nothing;
    with_handle(native(front.path), [self = shared_from_this(), batched, then, writes = std::move(writes)](io::FileHandle file) mutable {
      self->fs.write_batch(file, std::move(writes), then, [self, batched, then](io::BatchWritten written) {
        self->finish_writes(batched, then, written);
      });
    }, [self = shared_from_this(), batched](io::Error failed) {
      self->finish_writes(batched, io::FileSystem::AfterBatch::nothing, {0, failed});
    });
  }

  // The writes that went, then the one that failed (if one did); those after it stay
  // queued and are applied afresh, as they would have been one at a time. Every write
  // gone, the fsync that went with them (`then`) finishes its op, once the writes'
  // completions ran: ops complete in order.
  void finish_writes(std::size_t batched, io::FileSystem::AfterBatch then, io::BatchWritten written) {
    if (!alive) return;
    const bool fsynced = then == io::FileSystem::AfterBatch::fsync && written.count == batched;
    HM_ASSERT(written.count <= batched && (fsynced || (written.count == batched) == (written.error == io::Error::ok)));
    const std::size_t finished = fsynced ? batched : std::min(written.count + 1, batched);
    std::vector<std::pair<DoneFn, io::Error>> dones;
    dones.reserve(finished);
    for (std::size_t i = 0; i < finished; ++i) {
      HM_ASSERT(queue.front().op.kind == OpKind::write);
      const io::Error result = i < written.count ? io::Error::ok : written.error;
      dones.emplace_back(pop_applied(result), result);
    }
    if (!fsynced && !queue.empty()) start_front();
    for (auto& [done, result] : dones) {
      if (!alive) return;  // a completion destroyed the applier: the later ones are dropped with it
      done(result);
    }
    if (fsynced && alive) flush_directory_after(written.error);
  }

  // Directories whose entries are durable: this applier fsync_dir'd them and nothing it
  // applied since changed an entry in them. An fsync op of a file in one of them skips
  // the directory's flush (a cache flush of the disk, as costly as the file's own).
  // Nothing else writes a copy while its applier lives (see reintegration_target.h).
  // After a failed checkpoint sync (sticky) nothing counts as durable; a failed fsync
  // op reaches its writer and notes nothing durable.
  bool entries_durable(const std::string& directory) const {
    return sync_failure == io::Error::ok && durable_directories.contains(directory);
  }

  void note_entries_durable(const std::string& directory) {
    if (!alive) return;
    durable_directories.insert(directory);
  }

  // Before op is applied, whatever its result.
  void forget_durable_entries(const FileOp& op) {
    switch (op.kind) {
      case OpKind::create:
      case OpKind::mkdir:
      case OpKind::unlink: durable_directories.forget(io::parent_path(native(op.path))); return;
      case OpKind::rename:
      case OpKind::rmdir:
        // They move or remove whole trees: a path known durable may name another
        // directory afterwards.
        durable_directories.clear();
        return;
      case OpKind::write:
      case OpKind::truncate:
      case OpKind::set_mtime:
      case OpKind::set_mode:
      case OpKind::fsync: return;
    }
  }

  void create(const FileOp& op, const DoneFn& finish) {
    const std::string path = native(op.path);
    forget(path);
    if (op.mode == 0 || op.exclusive) return open_created(path, op.exclusive, op.mode, finish);
    // Only a file this op makes takes its mode; one already there keeps its own, as
    // with open(O_CREAT): an exclusive open tells the two apart.
    open_created(path, true, op.mode, [self = shared_from_this(), path, finish](io::Error created) {
      if (created != io::Error::already_exists || !self->alive) return finish(created);
      self->open_created(path, false, 0, finish);
    });
  }

  // Opens path, creating it if missing (exclusive: only then), caches the handle, and
  // sets mode when one is given. set_mode rather than open's mode argument: the
  // daemon's umask would mask it, and the application's umask is applied already.
  void open_created(const std::string& path, bool exclusive, std::uint32_t mode, const DoneFn& finish) {
    const io::OpenFlags flags{.read = true, .write = true, .create = true, .exclusive = exclusive, .truncate = false};
    fs.open(path, flags, [self = shared_from_this(), path, mode, finish](io::Result<io::FileHandle> opened) {
      if (!opened) return finish(opened.error());
      self->remember(path, *opened);
      if (mode == 0 || !self->alive) return finish(io::Error::ok);
      self->fs.set_mode(path, mode, finish);
    });
  }

  // mkdir fails on a name already there, so only a directory made here takes the mode.
  void make_directory(const FileOp& op, const DoneFn& finish) {
    const std::string path = native(op.path);
    if (op.mode == 0) return fs.mkdir(path, finish);
    fs.mkdir(path, [self = shared_from_this(), path, mode = op.mode, finish](io::Error made) {
      if (made != io::Error::ok || !self->alive) return finish(made);
      self->fs.set_mode(path, mode, finish);
    });
  }

  // Runs use(handle) with an open handle for the native path, opening (not creating)
  // it if needed.
  void with_handle(const std::string& path, std::function<void(io::FileHandle)> use, const DoneFn& finish) {
    const auto cached = handles.find(path);
    if (cached != handles.end()) {
      cached->second.last_use = ++use_tick;
      return use(cached->second.handle);
    }
    const io::OpenFlags flags{.read = true, .write = true};
    fs.open(path, flags, [self = shared_from_this(), path, use = std::move(use), finish](io::Result<io::FileHandle> opened) mutable {
      if (!opened && opened.error() == io::Error::permission_denied && self->alive) {
        return self->open_read_only_file(path, [self, path, use = std::move(use)](io::FileHandle lent) {
          self->remember(path, lent);
          use(lent);
        }, finish);
      }
      if (!opened) return finish(opened.error());
      self->remember(path, *opened);
      use(*opened);
    });
  }

  // The application writes a file it made read-only through the descriptor it opened
  // before (open(O_CREAT, 0444), chmod after open): the primary's kernel lets it. This
  // copy's handle to it is gone (evicted, the file renamed, the daemon restarted), and
  // a daemon that is not root -- any daemon on Windows, where 0200 is the read-only
  // attribute -- cannot open it to write. The owner-write bit is lent for the open and
  // given back at once; the handle keeps its access. A crash in between leaves the bit
  // set on this copy, which no application sees before the next resynchronisation.
  // `use` owns the handle: it keeps it among the cached ones, or closes it.
  void open_read_only_file(const std::string& path, std::function<void(io::FileHandle)> use, const DoneFn& finish) {
    fs.stat(path, [self = shared_from_this(), path, use = std::move(use), finish](io::Result<io::FileStat> stat) mutable {
      if (!self->alive) return;
      if (!stat) return finish(stat.error());
      // Something other than the file's own mode refuses it: not ours to lend.
      if (stat->kind != io::FileKind::regular || (stat->mode & kOwnerWrite) != 0) return finish(io::Error::permission_denied);
      const std::uint32_t mode = stat->mode;
      self->fs.set_mode(path, mode | kOwnerWrite, [self, path, mode, use = std::move(use), finish](io::Error lent) mutable {
        if (!self->alive) return;
        if (lent != io::Error::ok) return finish(lent);
        const io::OpenFlags flags{.read = true, .write = true};
        self->fs.open(path, flags, [self, path, mode, use = std::move(use), finish](io::Result<io::FileHandle> opened) mutable {
          self->fs.set_mode(path, mode, [self, opened, use = std::move(use), finish](io::Error given_back) {
            if (!self->alive) {
              if (opened) self->fs.close(*opened, [](io::Error) {});
              return;
            }
            if (opened && given_back != io::Error::ok) self->fs.close(*opened, [](io::Error) {});
            if (!opened) return finish(opened.error());
            if (given_back != io::Error::ok) return finish(given_back);
            use(*opened);
          });
        });
      });
    });
  }

  void remember(const std::string& path, io::FileHandle handle) {
    if (!alive) return fs.close(handle, [](io::Error) {});
    if (handles.size() >= kMaxCachedHandles) evict_least_recent();
    handles[path] = Cached{handle, ++use_tick};
  }

  void evict_least_recent() {
    auto oldest = handles.begin();
    for (auto it = handles.begin(); it != handles.end(); ++it) {
      if (it->second.last_use < oldest->second.last_use) oldest = it;
    }
    fs.close(oldest->second.handle, [](io::Error) {});
    handles.erase(oldest);
  }

  void close_all_handles() {
    for (const auto& [path, cached] : handles) fs.close(cached.handle, [](io::Error) {});
    handles.clear();
  }

  void forget(const std::string& path) {
    const auto cached = handles.find(path);
    if (cached == handles.end()) return;
    fs.close(cached->second.handle, [](io::Error) {});
    handles.erase(cached);
  }

  // A renamed directory takes its files along: handles cached under the old names
  // would otherwise keep writing to them as if they were still there.
  void forget_tree(const std::string& path) {
    forget(path);
    for (auto it = handles.begin(); it != handles.end();) {
      const bool inside = it->first.size() > path.size() && it->first.starts_with(path) &&
                          (it->first[path.size()] == '/' || it->first[path.size()] == '\\');
      if (!inside) {
        ++it;
        continue;
      }
      fs.close(it->second.handle, [](io::Error) {});
      it = handles.erase(it);
    }
  }

  // A name removed since it was noted: whatever removed it noted its parent.
  static bool gone(io::Error error) {
    return error == io::Error::not_found || error == io::Error::not_directory || error == io::Error::is_directory;
  }

  std::string native_name(const ChangedName& name) const {
    return name.path.empty() ? roots[name.directory] : native_path(roots[name.directory], name.path);
  }

  // Syncs and forgets every name noted so far; done(ok), or the sticky failure.
  void sync_changed(DoneFn done) {
    const ChangedSet::Names names = changed.take();
    auto sync = std::make_shared<Sync>();
    sync->done = std::move(done);
    if (sync_failure == io::Error::ok) {
      for (const auto* set : {&names.files, &names.metadata, &names.directories}) {
        for (const auto& name : *set) sync->roots.insert(name.directory);
      }
      for (const auto& name : names.files) sync->names.emplace_back(SyncKind::file, native_name(name));
      for (const auto& name : names.metadata) {
        if (!names.files.contains(name)) sync->names.emplace_back(SyncKind::file_or_directory, native_name(name));
      }
      sync->directories_from = sync->names.size();
      for (const auto& name : names.directories) sync->names.emplace_back(SyncKind::directory, native_name(name));
    }
    if (sync->names.empty()) {
      // Nothing to sync (or nothing worth syncing): still through the disk once, so
      // that done never runs inside checkpoint().
      return fs.stat(roots.front(), [self = shared_from_this(), sync](const io::Result<io::FileStat>&) {
        if (self->alive) sync->done(self->sync_failure);
      });
    }
    if (sync->names.size() >= kSyncFileSystemFrom) return sync_file_systems(sync);
    pump(sync);
  }

  // One flush of each file system holding a root instead of one sync per name; name
  // by name where the backend cannot.
  void sync_file_systems(const std::shared_ptr<Sync>& sync) {
    if (sync->roots.empty()) {
      for (std::size_t i = sync->directories_from; i < sync->names.size(); ++i) note_entries_durable(sync->names[i].second);
      return sync->done(sync_failure);
    }
    const std::uint32_t root = *sync->roots.begin();
    sync->roots.erase(sync->roots.begin());
    fs.sync_file_system(roots[root], [self = shared_from_this(), sync](io::Error result) {
      if (!self->alive) return;
      if (result == io::Error::not_supported) return self->pump(sync);
      if (result != io::Error::ok) {
        if (self->sync_failure == io::Error::ok) self->sync_failure = result;
        return sync->done(self->sync_failure);
      }
      self->sync_file_systems(sync);
    });
  }

  void pump(const std::shared_ptr<Sync>& sync) {
    while (sync->running < kMaxParallelSyncs && sync->next < sync->names.size()) {
      // Directory entries last, once every file they name is durable.
      if (sync->next == sync->directories_from && sync->finished < sync->directories_from) return;
      const auto& [kind, path] = sync->names[sync->next++];
      ++sync->running;
      sync_one(kind, path, [self = shared_from_this(), sync](io::Error result) { self->on_synced(sync, result); });
    }
  }

  void on_synced(const std::shared_ptr<Sync>& sync, io::Error result) {
    if (!alive) return;
    --sync->running;
    ++sync->finished;
    if (result != io::Error::ok && sync->first_error == io::Error::ok) sync->first_error = result;
    if (sync->finished < sync->names.size()) return pump(sync);
    if (sync_failure == io::Error::ok) sync_failure = sync->first_error;
    sync->done(sync_failure);
  }

  void sync_one(SyncKind kind, const std::string& path, DoneFn done) {
    switch (kind) {
      case SyncKind::file: return sync_file(path, std::move(done));
      case SyncKind::directory: return sync_directory(path, std::move(done));
      case SyncKind::file_or_directory:
        return fs.stat(path, [self = shared_from_this(), path, done = std::move(done)](io::Result<io::FileStat> stat) {
          if (!self->alive) return;
          if (!stat) return done(gone(stat.error()) ? io::Error::ok : stat.error());
          if (stat->kind == io::FileKind::directory) return self->sync_directory(path, done);
          self->sync_file(path, done);
        });
    }
  }

  void sync_directory(const std::string& path, DoneFn done) {
    fs.fsync_dir(path, [self = shared_from_this(), path, done = std::move(done)](io::Error result) {
      if (result == io::Error::ok) self->note_entries_durable(path);
      done(gone(result) ? io::Error::ok : result);
    });
  }

  // Through a handle of its own, closed once flushed: later ops run beside the sync and
  // may evict or close a cached one; and a checkpoint touching many files must not
  // flush through the writers' handles.
  void sync_file(const std::string& path, DoneFn done) {
    auto flush_and_close = [self = shared_from_this(), done](io::FileHandle file) {
      if (!self->alive) return self->fs.close(file, [](io::Error) {});
      self->fs.fsync(file, [self, file, done](io::Error result) {
        self->fs.close(file, [](io::Error) {});
        done(result);
      });
    };
    const io::OpenFlags flags{.read = true, .write = true};  // Windows flushes only a handle open for writing
    fs.open(path, flags, [self = shared_from_this(), path, done, flush_and_close](io::Result<io::FileHandle> opened) mutable {
      // A read-only file a daemon that is not root cannot open to write (and Windows
      // cannot flush through a read-only handle): the owner-write bit is lent for the
      // open, as for a write.
      if (!opened && opened.error() == io::Error::permission_denied && self->alive) {
        return self->open_read_only_file(
            path, std::move(flush_and_close), [done](io::Error failed) { done(gone(failed) ? io::Error::ok : failed); });
      }
      if (!opened) return done(gone(opened.error()) ? io::Error::ok : opened.error());
      flush_and_close(*opened);
    });
  }

  void finish_front(io::Error result) {
    if (!alive) return;
    DoneFn done = pop_applied(result);
    if (!queue.empty()) start_front();
    done(result);
  }

  // Takes the applied op off the front of the queue, noting what it changed; its
  // completion, which the caller runs once the next op started.
  DoneFn pop_applied(io::Error result) {
    HM_ASSERT(queue.front().entry == Entry::op);  // only an op is ever in flight at the front
    changed.applied(queue.front().op, result);
    DoneFn done = std::move(queue.front().done);
    queue.pop_front();
    return done;
  }
};

OpApplier::OpApplier(io::FileSystem& fs, std::vector<std::string> roots, io::Clock* next_turn)
    : state_(std::make_shared<State>(fs, std::move(roots))) {
  HM_ASSERT(!state_->roots.empty() && state_->roots.size() <= kMaxReplicatedDirectories);
  if (next_turn != nullptr) state_->next_turn = next_turn->make_timer();
}

OpApplier::~OpApplier() {
  state_->alive = false;
  if (state_->next_turn) state_->next_turn->stop();
  // Not close_all_handles(): called from this noexcept destructor it would make the
  // core call std::terminate (core_calls_nothing_outside_the_io_seam).
  for (const auto& [path, cached] : state_->handles) state_->fs.close(cached.handle, [](io::Error) {});
  state_->handles.clear();
}

io::Error OpApplier::apply(FileOp op, DoneFn done) {
  HM_ASSERT(done);
  if (const io::Error valid = validate(op, state_->roots.size()); valid != io::Error::ok) return valid;
  return state_->enqueue({std::move(op), std::move(done)});
}

io::Error OpApplier::checkpoint(DoneFn done) {
  HM_ASSERT(done);
  return state_->enqueue({FileOp{}, std::move(done), State::Entry::checkpoint});
}

io::Error OpApplier::keep_durable(std::uint32_t directory, std::string path, io::FileKind kind) {
  HM_ASSERT(kind == io::FileKind::regular || kind == io::FileKind::directory);
  const bool root = kind == io::FileKind::directory && path.empty();
  if (directory >= state_->roots.size() || (!root && !is_valid_relative_path(path))) return io::Error::invalid_argument;
  const auto entry = kind == io::FileKind::directory ? State::Entry::keep_directory : State::Entry::keep_file;
  return state_->enqueue({FileOp{.directory = directory, .path = std::move(path)}, {}, entry});
}

io::Error OpApplier::close_cached_handles() { return state_->enqueue({FileOp{}, {}, State::Entry::close_handles}); }

std::size_t OpApplier::changed_names() const { return state_->changed.size(); }
std::size_t OpApplier::queued() const { return state_->queue.size(); }
const std::vector<std::string>& OpApplier::roots() const { return state_->roots; }

}  // namespace hamirror::core
