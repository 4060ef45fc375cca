// MemFs: construction, the dispatch of every call to its synchronous part plus a
// scheduled completion, and the calls on handles. Path calls: mem_fs_paths.cpp;
// crash, inspection and setup: mem_fs_crash.cpp.
#include "fsim/mem_fs.h"

#include <algorithm>
#include <utility>

#include "fsim/path.h"
#include "io/assert.h"
#include "sim/sim_clock.h"

namespace hamirror::fsim {

MemFs::MemFs(sim::Scheduler& scheduler, io::Prng random, MemFsOptions options)
    : MemFs(scheduler, random, nullptr, std::move(options)) {}

MemFs::MemFs(sim::Scheduler& scheduler, io::Prng random, const io::Clock& clock, MemFsOptions options)
    : MemFs(scheduler, random, &clock, std::move(options)) {}

MemFs::MemFs(sim::Scheduler& scheduler, io::Prng random, const io::Clock* clock, MemFsOptions options)
    : scheduler_(scheduler),
      random_(random),
      clock_(clock),
      options_(std::move(options)),
      inodes_(clock ? clock->wall_ns() : sim::kSimEpochWallNs + scheduler.now_ns()),
      pending_(scheduler, kMaxPendingCompletions) {
  HM_ASSERT(std::uint64_t{options_.crash_weights.keep} + options_.crash_weights.drop > 0);
}

MemFs::~MemFs() = default;

// ---- dispatch: the effect now, the completion through the scheduler ----

void MemFs::open(const std::string& path, io::OpenFlags flags, OpenFn done) { complete(std::move(done), open_now(path, flags)); }

void MemFs::close(io::FileHandle file, DoneFn done) {
  auto found = handles_.find(file.value);
  io::Error result = io::Error::bad_handle;
  if (found != handles_.end()) {
    const InodeId inode = found->second.inode;
    handles_.erase(found);
    inodes_.drop_handle(inode);
    result = io::Error::ok;
  }
  complete(std::move(done), result);
}

void MemFs::read(io::FileHandle file, std::uint64_t offset, std::uint64_t size, ReadFn done) {
  complete(std::move(done), read_now(file, offset, size));
}

void MemFs::write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) {
  complete(std::move(done), write_now(file, offset, io::SharedBytes::copy_of(bytes)));
}

void MemFs::write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes, WriteFn done) {
  complete(std::move(done), write_now(file, offset, std::move(bytes)));
}

void MemFs::fsync(io::FileHandle file, DoneFn done) { complete(std::move(done), fsync_now(file)); }

void MemFs::truncate(io::FileHandle file, std::uint64_t size_bytes, DoneFn done) {
  complete(std::move(done), truncate_now(file, size_bytes));
}

void MemFs::fstat(io::FileHandle file, StatFn done) {
  const OpenFile* open_file = find_open(file);
  if (!open_file) return complete(std::move(done), io::Result<io::FileStat>(io::Error::bad_handle));
  complete(std::move(done), io::Result<io::FileStat>(stat_of(inodes_.at(open_file->inode))));
}

void MemFs::stat(const std::string& path, StatFn done) {
  auto id = resolve(path, View::current);
  if (!id) return complete(std::move(done), io::Result<io::FileStat>(id.error()));
  complete(std::move(done), io::Result<io::FileStat>(stat_of(inodes_.at(*id))));
}

void MemFs::rename(const std::string& from, const std::string& to, DoneFn done) {
  complete(std::move(done), rename_now(from, to));
}

void MemFs::unlink(const std::string& path, DoneFn done) { complete(std::move(done), unlink_now(path)); }
void MemFs::mkdir(const std::string& path, DoneFn done) { complete(std::move(done), mkdir_now(path)); }
void MemFs::rmdir(const std::string& path, DoneFn done) { complete(std::move(done), rmdir_now(path)); }
void MemFs::readdir(const std::string& path, ReadDirFn done) { complete(std::move(done), readdir_now(path)); }
void MemFs::fsync_dir(const std::string& path, DoneFn done) { complete(std::move(done), fsync_dir_now(path)); }
void MemFs::sync_file_system(const std::string& path, DoneFn done) {
  complete(std::move(done), sync_file_system_now(path));
}

void MemFs::set_mtime(const std::string& path, std::int64_t mtime_ns, DoneFn done) {
  complete(std::move(done), set_mtime_now(path, mtime_ns));
}

void MemFs::set_mode(const std::string& path, std::uint32_t mode, DoneFn done) {
  complete(std::move(done), set_mode_now(path, mode));
}

// ---- calls on handles ----

io::Result<io::FileHandle> MemFs::open_now(const std::string& path, io::OpenFlags flags) {
  // O_TRUNC without write access is unspecified in POSIX; refuse it rather than
  // guess. (O_EXCL without O_CREAT is ignored, as the real backends pass it.)
  if ((!flags.read && !flags.write) || (flags.truncate && !flags.write)) return io::Error::invalid_argument;
  auto parsed = parse_path(path);
  if (!parsed) return parsed.error();
  if (handles_.size() >= kMaxOpenFiles) return io::Error::too_many_open;

  InodeId id = InodeTable::kRootId;
  if (!parsed->empty()) {
    auto parent = inodes_.lookup_parent(*parsed);
    if (!parent) return parent.error();
    const std::string_view name = parsed->back();
    const auto& entries = inodes_.at(*parent).entries;
    auto found = entries.find(name);
    if (found != entries.end()) {
      if (flags.create && flags.exclusive) return io::Error::already_exists;
      id = found->second;
      const bool regular = inodes_.at(id).kind == io::FileKind::regular;
      if (regular && flags.write) {
        if (const io::Error denied = check_owner_write(id); denied != io::Error::ok) return denied;
      }
    } else {
      if (!flags.create) return io::Error::not_found;
      if (parsed->trailing_separator()) return io::Error::is_directory;  // Linux: O_CREAT on "x/"
      if (inodes_.size() >= kMaxInodes) return io::Error::no_space;
      if (const io::Error denied = check_owner_write(*parent); denied != io::Error::ok) return denied;
      id = inodes_.create(io::FileKind::regular, wall_now_ns(), kFileMode);
      inodes_.link(*parent, name, id);
      inodes_.at(*parent).mtime_ns = wall_now_ns();
      note_parts({}, "create ", path);
    }
  } else if (flags.create && flags.exclusive) {
    return io::Error::already_exists;
  }

  Inode& inode = inodes_.at(id);
  if (inode.kind == io::FileKind::directory && (flags.write || flags.create)) return io::Error::is_directory;
  if (inode.kind == io::FileKind::regular && parsed->trailing_separator()) return io::Error::not_directory;
  if (flags.truncate && !inode.data.empty()) {
    truncate_file(inode, 0);
    note_parts({}, "truncate ", path, " to 0 (open)");
  }
  const std::uint64_t handle = next_handle_++;
  handles_.emplace(handle, OpenFile{id, flags.read, flags.write, path});
  inodes_.add_handle(id);
  return io::FileHandle{handle};
}

io::Result<io::Bytes> MemFs::read_now(io::FileHandle file, std::uint64_t offset, std::uint64_t size) const {
  const OpenFile* open_file = find_open(file);
  if (!open_file || !open_file->readable) return io::Error::bad_handle;  // EBADF, as read(2)
  const Inode& inode = inodes_.at(open_file->inode);
  if (inode.kind == io::FileKind::directory) return io::Error::is_directory;
  if (offset >= inode.data.size()) return io::Bytes{};
  io::Bytes bytes(std::min<std::uint64_t>(size, inode.data.size() - offset));
  inode.data.read(offset, bytes);
  return bytes;
}

io::Result<std::uint64_t> MemFs::write_now(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes) {
  const OpenFile* open_file = find_open(file);
  if (!open_file || !open_file->writable) return io::Error::bad_handle;  // EBADF, as write(2)
  if (offset > kMaxFileBytes || bytes.size() > kMaxFileBytes - offset) return io::Error::invalid_argument;
  Inode& inode = inodes_.at(open_file->inode);
  HM_ASSERT(inode.kind == io::FileKind::regular);  // directories never open for writing
  const std::uint64_t size = bytes.size();
  note_parts(bytes, "write ", open_file->path, " @", offset, " +", size);
  write_file(inode, offset, std::move(bytes));
  return size;
}

io::Error MemFs::truncate_now(io::FileHandle file, std::uint64_t size_bytes) {
  const OpenFile* open_file = find_open(file);
  if (!open_file) return io::Error::bad_handle;
  if (!open_file->writable) return io::Error::invalid_argument;  // ftruncate(2) on Linux
  if (size_bytes > kMaxFileBytes) return io::Error::invalid_argument;
  Inode& inode = inodes_.at(open_file->inode);
  HM_ASSERT(inode.kind == io::FileKind::regular);
  truncate_file(inode, size_bytes);
  note_parts({}, "truncate ", open_file->path, " to ", size_bytes);
  return io::Error::ok;
}

io::Error MemFs::fsync_now(io::FileHandle file) {
  const OpenFile* open_file = find_open(file);
  if (!open_file) return io::Error::bad_handle;
  Inode& inode = inodes_.at(open_file->inode);
  // fsync(2) on a directory handle flushes its entries, as fsync_dir does.
  if (inode.kind == io::FileKind::directory) {
    inodes_.sync_entries(inode.id);
  } else {
    inodes_.sync_data(inode.id);
  }
  note_parts({}, "fsync ", open_file->path);
  return io::Error::ok;
}

// ---- helpers ----

const MemFs::OpenFile* MemFs::find_open(io::FileHandle file) const {
  auto found = handles_.find(file.value);
  return found == handles_.end() ? nullptr : &found->second;
}

io::FileStat MemFs::stat_of(const Inode& inode) const {
  return io::FileStat{inode.kind, inode.kind == io::FileKind::regular ? inode.data.size() : 0, inode.mtime_ns, inode.mode};
}

void MemFs::write_file(Inode& inode, std::uint64_t offset, io::SharedBytes bytes) {
  HM_ASSERT(inode.kind == io::FileKind::regular);
  // POSIX: a zero-length write does not extend the file, and keeps no bytes.
  const std::uint64_t size = bytes.size();
  const std::uint64_t kept_offset = size == 0 ? 0 : offset;
  inode.data.write_shared(offset, std::move(bytes));
  keep_unsynced(inode, UnsyncedChange{UnsyncedChange::Kind::write, offset, inode.data.extent(kept_offset, size), 0});
}

void MemFs::truncate_file(Inode& inode, std::uint64_t size_bytes) {
  HM_ASSERT(inode.kind == io::FileKind::regular);
  inode.data.resize(size_bytes);
  keep_unsynced(inode, UnsyncedChange{UnsyncedChange::Kind::truncate, 0, {}, size_bytes});
}

void MemFs::keep_unsynced(Inode& inode, UnsyncedChange change) {
  inode.unsynced.push_back(std::move(change));
  if (inode.unsynced.size() > kMaxUnsyncedChangesPerFile) {
    apply_change(inode.durable_data, inode.unsynced.front());
    inode.unsynced.pop_front();
  }
  inode.mtime_ns = wall_now_ns();
}

std::int64_t MemFs::wall_now_ns() const { return clock_ ? clock_->wall_ns() : sim::kSimEpochWallNs + scheduler_.now_ns(); }

void MemFs::note(std::string_view what, io::ByteView detail) {
  scheduler_.trace().record(scheduler_.now_ns(), options_.trace_name, what, detail);
}

void MemFs::note(std::string_view what, std::span<const io::ByteView> details) {
  scheduler_.trace().record(scheduler_.now_ns(), options_.trace_name, what, details);
}

}  // namespace hamirror::fsim
