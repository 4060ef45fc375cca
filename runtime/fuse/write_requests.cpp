// The requests that change the directory: turned into FileOps for the sink (see
// fuse_requests.h), answered once replicated.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "fuse/attribute_ops.h"
#include "fuse/fuse_requests.h"
#include "fuse/hidden_area.h"
#include "fuse/write_split.h"

namespace hamirror::fuse {
namespace {

std::int64_t to_ns(const timespec& time) {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

// The permission bits a new entry gets, as open(2) and mkdir(2) give them: the mode
// asked for less the caller's umask. The kernel masks it already unless the mount
// asked for FUSE_CAP_DONT_MASK; masking again changes nothing then.
std::uint32_t requested_mode(fuse_req_t req, mode_t mode) {
  return static_cast<std::uint32_t>(mode & ~fuse_req_ctx(req)->umask) & core::kModeBits;
}

}  // namespace

void FuseRequests::create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  if (is_hidden_entry(parent, name)) {
    fuse_reply_err(req, EPERM);
    return;
  }
  std::string path;
  if (!child_path(req, parent, name, path) || !may_change(req)) return;
  core::FileOp create = op(core::OpKind::create, path);
  create.exclusive = (fi->flags & O_EXCL) != 0;
  create.mode = requested_mode(req, mode);
  // fi lives only during this call: the answer needs a copy.
  submit(req, {std::move(create)}, [this, req, path, opened = *fi]() mutable {
    const int fd = ::open(backing(path).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      fuse_reply_err(req, errno);
      return;
    }
    fuse_entry_param entry;
    if (const int error = fill_entry(path, entry); error != 0) {
      ::close(fd);
      fuse_reply_err(req, error);
      return;
    }
    table_.opened(entry.ino);
    opened.fh = static_cast<std::uint64_t>(fd);
    opened.direct_io = (opened.flags & O_DIRECT) != 0 ? 1 : 0;
    opened.keep_cache = 0;
    if (fuse_reply_create(req, &entry, &opened) != 0) {  // interrupted: no release follows
      ::close(fd);
      table_.released(entry.ino);
    }
  });
}

void FuseRequests::mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  if (!S_ISREG(mode)) {
    not_replicated(req, "device node, fifo or socket", name);
    return;
  }
  if (is_hidden_entry(parent, name)) {
    fuse_reply_err(req, EPERM);
    return;
  }
  std::string path;
  if (!child_path(req, parent, name, path) || !may_change(req)) return;
  core::FileOp create = op(core::OpKind::create, path);
  create.exclusive = true;
  create.mode = requested_mode(req, mode);
  submit(req, {std::move(create)}, [this, req, path] {
    fuse_entry_param entry;
    if (const int error = fill_entry(path, entry); error != 0) return (void)fuse_reply_err(req, error);
    fuse_reply_entry(req, &entry);
  });
}

void FuseRequests::mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  if (is_hidden_entry(parent, name)) {
    fuse_reply_err(req, EPERM);
    return;
  }
  std::string path;
  if (!child_path(req, parent, name, path) || !may_change(req)) return;
  core::FileOp mkdir = op(core::OpKind::mkdir, path);
  mkdir.mode = requested_mode(req, mode);
  submit(req, {std::move(mkdir)}, [this, req, path] {
    fuse_entry_param entry;
    if (const int error = fill_entry(path, entry); error != 0) return (void)fuse_reply_err(req, error);
    fuse_reply_entry(req, &entry);
  });
}

void FuseRequests::unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (is_hidden_entry(parent, name)) {
    fuse_reply_err(req, EPERM);
    return;
  }
  std::string path;
  if (!child_path(req, parent, name, path) || !may_change(req)) return;
  if (const auto inode = table_.inode_at(path); inode && table_.open_count(*inode) > 0) {
    hide_open_file(*inode, path, req);
    return;
  }
  submit(req, {op(core::OpKind::unlink, path)}, [this, req, path] {
    table_.removed(path);
    fuse_reply_err(req, 0);
  });
}

// The file stays, under a name the mount does not show, until its last close
// (release() replicates the unlink then). req: answered once hidden, or nullptr.
void FuseRequests::hide_open_file(Inode inode, const std::string& path, fuse_req_t req) {
  ensure_hidden_directory();
  const std::string hidden = hidden_path(inode);
  core::FileOp rename = op(core::OpKind::rename, path);
  rename.target = hidden;
  // Later ops on the open file must already use the new name: they are applied after
  // this rename.
  table_.hidden(inode, hidden);
  auto unhide = [this, inode, path] { table_.unhidden(inode, path); };
  if (req == nullptr) {
    dispatcher_.post(Submission{.ops = {std::move(rename)}, .finish = [this, unhide, path](io::Error result) {
      if (result == io::Error::ok) return;
      unhide();
      log("fuse: " + backing_dir_ + ": could not keep the open file " + path +
          " while replacing it: " + std::string(io::error_name(result)));
    }});
    return;
  }
  submit(req, {std::move(rename)}, [req] { fuse_reply_err(req, 0); }, unhide);
}

void FuseRequests::ensure_hidden_directory() {
  if (hidden_directory_ready_) return;
  hidden_directory_ready_ = true;
  dispatcher_.post(Submission{.ops = {op(core::OpKind::mkdir, std::string(kHiddenDirectory))},
                              .finish = [this](io::Error result) {
                                if (result == io::Error::ok || result == io::Error::already_exists) return;
                                hidden_directory_ready_ = false;
                                log("fuse: " + backing_dir_ + ": cannot create " + std::string(kHiddenDirectory) +
                                    ": " + std::string(io::error_name(result)));
                              }});
}

void FuseRequests::rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (is_hidden_entry(parent, name)) {
    fuse_reply_err(req, EPERM);
    return;
  }
  std::string path;
  if (!child_path(req, parent, name, path) || !may_change(req)) return;
  submit(req, {op(core::OpKind::rmdir, path)}, [this, req, path] {
    table_.removed(path);
    fuse_reply_err(req, 0);
  });
}

void FuseRequests::rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
                          const char* newname, unsigned int flags) {
  // RENAME_NOREPLACE / RENAME_EXCHANGE: the replication has only a plain rename.
  if (flags != 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  if (is_hidden_entry(parent, name) || is_hidden_entry(newparent, newname)) {
    fuse_reply_err(req, EPERM);
    return;
  }
  std::string from;
  std::string to;
  if (!child_path(req, parent, name, from) || !child_path(req, newparent, newname, to) || !may_change(req)) return;
  // A replaced file that is still open keeps its data, like an unlinked one.
  if (const auto target = table_.inode_at(to); target && table_.open_count(*target) > 0) {
    hide_open_file(*target, to, nullptr);
  }
  core::FileOp rename = op(core::OpKind::rename, from);
  rename.target = to;
  table_.moved(from, to);
  submit(req, {std::move(rename)}, [req] { fuse_reply_err(req, 0); }, [this, from, to] { table_.moved(to, from); });
}

void FuseRequests::setattr(fuse_req_t req, fuse_ino_t ino, const struct stat* attr, int to_set,
                           fuse_file_info* fi) {
  std::string path;
  if (!path_of(req, ino, path)) return;
  struct stat current {};
  if (::lstat(backing(path).c_str(), &current) != 0) {
    fuse_reply_err(req, errno);
    return;
  }
  const auto mode = static_cast<std::uint32_t>(attr->st_mode) & core::kModeBits;
  const bool mode_changes = (to_set & FUSE_SET_ATTR_MODE) != 0 && mode != (current.st_mode & core::kModeBits);
  const bool owner_changes = ((to_set & FUSE_SET_ATTR_UID) != 0 && attr->st_uid != current.st_uid) ||
                             ((to_set & FUSE_SET_ATTR_GID) != 0 && attr->st_gid != current.st_gid);
  if (owner_changes) {
    // uids and gids are numbers local to each machine: the same owner on the peer may
    // have another number, so an owner is not something one copy can hand the other.
    log("fuse: " + backing_dir_ + ": refused chown of " + path + ": owners are not replicated");
    fuse_reply_err(req, EPERM);
    return;
  }
  AttributeChange change;
  if (mode_changes) change.mode = mode;
  if ((to_set & FUSE_SET_ATTR_SIZE) != 0) change.size_bytes = static_cast<std::uint64_t>(attr->st_size);
  if ((to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)) != 0) {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    change.mtime_ns = to_ns((to_set & FUSE_SET_ATTR_MTIME_NOW) != 0 ? now : attr->st_mtim);
  }
  std::vector<core::FileOp> ops = attribute_ops(directory_, path, change);
  // Nothing replicated changes (atime only, or the same mode): answer as it is.
  if (ops.empty()) {
    fuse_reply_attr(req, &current, kAttrTimeoutS);
    return;
  }
  if (!may_change(req)) return;
  const int fd = fi != nullptr ? static_cast<int>(fi->fh) : -1;
  submit(req, std::move(ops), [this, req, path, fd] {
    struct stat updated {};
    const int result = fd >= 0 ? ::fstat(fd, &updated) : ::lstat(backing(path).c_str(), &updated);
    if (result != 0) return (void)fuse_reply_err(req, errno);
    fuse_reply_attr(req, &updated, kAttrTimeoutS);
  });
}

void FuseRequests::write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off, int open_flags) {
  std::string path;
  if (!path_of(req, ino, path) || !may_change(req)) return;
  if (size == 0) {
    fuse_reply_write(req, 0);
    return;
  }
  auto ops = split_write(directory_, path, static_cast<std::uint64_t>(off), buf, size);
  // Through the page cache the kernel follows an O_SYNC / O_DSYNC write with an fsync;
  // on a direct_io open (O_DIRECT) it does not, so the write carries its own.
  if ((open_flags & O_DIRECT) != 0 && (open_flags & O_DSYNC) != 0) ops.push_back(op(core::OpKind::fsync, path));
  submit(req, std::move(ops), [req, size] { fuse_reply_write(req, size); });
}

// fsync, fdatasync, and O_SYNC / O_DSYNC writes (the kernel follows each with an fsync):
// answered once the file is durable on both copies.
void FuseRequests::fsync(fuse_req_t req, fuse_ino_t ino) {
  std::string path;
  if (!path_of(req, ino, path) || !may_change(req)) return;
  submit(req, {op(core::OpKind::fsync, path)}, [req] { fuse_reply_err(req, 0); });
}

void FuseRequests::not_replicated(fuse_req_t req, const char* what, const char* name) {
  log("fuse: " + backing_dir_ + ": refused to create the " + what + " " + name + ": not replicated");
  fuse_reply_err(req, ENOTSUP);
}

}  // namespace hamirror::fuse
