// The callbacks that change the directory: FileOps for the sink, answered once
// replicated.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>

#include "fuse/write_split.h"
#include "fuse_hl/path_frontend.h"
#include "fuse_hl/path_names.h"

namespace hamirror::fuse_hl {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The permission bits a new entry gets, as open(2) and mkdir(2) give them: the mode
// asked for less the caller's umask. Linux's kernel masks it already (unless the mount
// asks for FUSE_CAP_DONT_MASK); masking again changes nothing then.
std::uint32_t requested_mode(api::Mode mode) {
  return static_cast<std::uint32_t>(mode & ~api::caller_umask()) & core::kModeBits;
}

}  // namespace

int PathFrontend::create(const char* path, api::Mode mode, api::FileInfo* fi) {
  if (!writable()) return -EROFS;
  const std::string name = relative(path);
  core::FileOp create = op(core::OpKind::create, name);
  create.exclusive = (fi->flags & O_EXCL) != 0;
  create.mode = requested_mode(mode);
  if (const int error = answer(replicate({std::move(create)}), "create " + name); error != 0) return error;
  std::uint64_t handle = 0;
  if (const int error = backing_.open_read(name, handle); error != 0) return -error;
  fi->fh = handle;
  fi->keep_cache = 0;
  return 0;
}

int PathFrontend::mknod(const char* path, api::Mode mode) {
  if ((mode & S_IFMT) != S_IFREG) return not_replicated("device node, fifo or socket", path);
  if (!writable()) return -EROFS;
  const std::string name = relative(path);
  core::FileOp create = op(core::OpKind::create, name);
  create.exclusive = true;
  create.mode = requested_mode(mode);
  return answer(replicate({std::move(create)}), "create " + name);
}

int PathFrontend::mkdir(const char* path, api::Mode mode) {
  if (!writable()) return -EROFS;
  const std::string name = relative(path);
  core::FileOp mkdir = op(core::OpKind::mkdir, name);
  mkdir.mode = requested_mode(mode);
  return answer(replicate({std::move(mkdir)}), "mkdir " + name);
}

int PathFrontend::unlink(const char* path) {
  if (!writable()) return -EROFS;
  const std::string name = relative(path);
  return answer(replicate({op(core::OpKind::unlink, name)}), "unlink " + name);
}

int PathFrontend::rmdir(const char* path) {
  if (!writable()) return -EROFS;
  const std::string name = relative(path);
  return answer(replicate({op(core::OpKind::rmdir, name)}), "rmdir " + name);
}

int PathFrontend::rename(const char* from, const char* to, unsigned int flags) {
  // RENAME_NOREPLACE / RENAME_EXCHANGE: the replication has only a plain rename.
  if (flags != 0) return -EINVAL;
  if (!writable()) return -EROFS;
  const std::string source = relative(from);
  std::string target = relative(to);
  // A case-only rename ("a.txt" → "A.txt") resolves the target to the source itself:
  // the new name is the one given.
  if (options_.case_insensitive && target == source) target = with_last_component(source, last_component(to));
  core::FileOp rename = op(core::OpKind::rename, source);
  rename.target = target;
  return answer(replicate({std::move(rename)}), "rename " + source + " to " + target);
}

int PathFrontend::truncate(const char* path, api::Offset size) {
  if (!writable()) return -EROFS;
  const std::string name = relative(path);
  core::FileOp truncate = op(core::OpKind::truncate, name);
  truncate.size_bytes = static_cast<std::uint64_t>(size);
  return answer(replicate({std::move(truncate)}), "truncate " + name);
}

// Only the modification time is kept (atime is not, as with noatime).
int PathFrontend::utimens(const char* path, const api::Timespec times[2]) {
  const api::Timespec& mtime = times[1];
  if (mtime.tv_nsec == api::kTimeOmit) return 0;
  if (!writable()) return -EROFS;
  const std::string name = relative(path);
  core::FileOp set_mtime = op(core::OpKind::set_mtime, name);
  set_mtime.mtime_ns = mtime.tv_nsec == api::kTimeNow
                           ? now_ns()
                           : static_cast<std::int64_t>(mtime.tv_sec) * 1'000'000'000 + mtime.tv_nsec;
  return answer(replicate({std::move(set_mtime)}), "set the time of " + name);
}

int PathFrontend::chmod(const char* path, std::uint32_t mode) {
  if (!writable()) return -EROFS;
  const std::string name = relative(path);
  core::FileOp set_mode = op(core::OpKind::set_mode, name);
  set_mode.mode = mode;
  return answer(replicate({std::move(set_mode)}), "set the mode of " + name);
}

// uids and gids are numbers local to each machine (the same owner may have another
// number on the peer), so owners are not replicated, and a change on one copy only
// would make the copies differ: refused unless it changes nothing.
int PathFrontend::change_owner(const char* path, bool changes) {
  if (!changes) return 0;
  log("fuse_hl: " + options_.backing_dir + ": refused chown of " + relative(path) + ": owners are not replicated");
  return -EPERM;
}

int PathFrontend::write(const char* path, const char* buffer, std::size_t size, api::Offset offset) {
  if (!writable()) return -EROFS;
  if (size == 0) return 0;
  const std::string name = relative(path);
  auto ops = fuse::split_write(options_.directory, name, static_cast<std::uint64_t>(offset), buffer, size);
  if (const int error = answer(replicate(std::move(ops)), "write " + name); error != 0) return error;
  return static_cast<int>(size);
}

// fsync, fdatasync (Linux) and FlushFileBuffers (Windows): durable on both copies.
int PathFrontend::fsync(const char* path) {
  if (!writable()) return -EROFS;
  const std::string name = relative(path);
  return answer(replicate({op(core::OpKind::fsync, name)}), "fsync " + name);
}

int PathFrontend::not_replicated(const char* what, const char* path) {
  log("fuse_hl: " + options_.backing_dir + ": refused to create the " + std::string(what) + " " + relative(path) +
      ": not replicated");
  return -ENOTSUP;
}

}  // namespace hamirror::fuse_hl
