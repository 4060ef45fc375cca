#include "core/replication/op_applier.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::core {

struct OpApplier::State : std::enable_shared_from_this<OpApplier::State> {
  struct Queued {
    FileOp op;
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
  bool alive = true;

  State(io::FileSystem& fs_, std::vector<std::string> roots_) : fs(fs_), roots(std::move(roots_)) {}

  std::string native(const std::string& relative) const { return native_path(roots[queue.front().op.directory], relative); }

  void start_front() {
    HM_ASSERT(!queue.empty());
    const FileOp& op = queue.front().op;
    auto finish = [self = shared_from_this()](io::Error result) { self->finish_front(result); };
    switch (op.kind) {
      case OpKind::create: return create(op, finish);
      case OpKind::write: return with_handle(native(op.path), [this, finish](io::FileHandle file) {
          const FileOp& current = queue.front().op;
          fs.write(file, current.offset, current.data, [finish](io::Result<std::uint64_t> written) {
            finish(written.error());
          });
        }, finish);
      case OpKind::truncate: return with_handle(native(op.path), [this, finish](io::FileHandle file) {
          fs.truncate(file, queue.front().op.size_bytes, finish);
        }, finish);
      case OpKind::fsync: return with_handle(native(op.path), [this, finish](io::FileHandle file) {
          // The file's data, then its directory entry: a created file is durable only
          // once its directory is.
          const std::string parent = io::parent_path(native(queue.front().op.path));
          fs.fsync(file, [this, finish, parent](io::Error synced) {
            if (synced != io::Error::ok) return finish(synced);
            fs.fsync_dir(parent, finish);
          });
        }, finish);
      case OpKind::mkdir: return fs.mkdir(native(op.path), finish);
      case OpKind::rmdir: return fs.rmdir(native(op.path), finish);
      case OpKind::set_mtime: return fs.set_mtime(native(op.path), op.mtime_ns, finish);
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

  void create(const FileOp& op, const DoneFn& finish) {
    const std::string path = native(op.path);
    forget(path);
    const io::OpenFlags flags{.read = true, .write = true, .create = true, .exclusive = op.exclusive, .truncate = false};
    fs.open(path, flags, [self = shared_from_this(), path, finish](io::Result<io::FileHandle> opened) {
      if (!opened) return finish(opened.error());
      self->remember(path, *opened);
      finish(io::Error::ok);
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
    fs.open(path, flags, [self = shared_from_this(), path, use = std::move(use), finish](io::Result<io::FileHandle> opened) {
      if (!opened) return finish(opened.error());
      self->remember(path, *opened);
      use(*opened);
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

  void finish_front(io::Error result) {
    if (!alive) return;
    auto done = std::move(queue.front().done);
    queue.pop_front();
    if (!queue.empty()) start_front();
    done(result);
  }
};

OpApplier::OpApplier(io::FileSystem& fs, std::vector<std::string> roots)
    : state_(std::make_shared<State>(fs, std::move(roots))) {
  HM_ASSERT(!state_->roots.empty() && state_->roots.size() <= kMaxReplicatedDirectories);
}

OpApplier::~OpApplier() {
  state_->alive = false;
  for (const auto& [path, cached] : state_->handles) state_->fs.close(cached.handle, [](io::Error) {});
  state_->handles.clear();
}

io::Error OpApplier::apply(FileOp op, DoneFn done) {
  HM_ASSERT(done);
  if (const io::Error valid = validate(op, state_->roots.size()); valid != io::Error::ok) return valid;
  if (state_->queue.size() >= kMaxQueuedOps) return io::Error::would_block;
  state_->queue.push_back({std::move(op), std::move(done)});
  if (state_->queue.size() == 1) state_->start_front();
  return io::Error::ok;
}

std::size_t OpApplier::queued() const { return state_->queue.size(); }
const std::vector<std::string>& OpApplier::roots() const { return state_->roots; }

}  // namespace hamirror::core
