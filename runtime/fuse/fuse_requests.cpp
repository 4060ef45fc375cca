#include "fuse/fuse_requests.h"

#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "fuse/errno_map.h"
#include "fuse/hidden_area.h"
#include "io/assert.h"

namespace hamirror::fuse {
namespace {

FuseRequests& self(fuse_req_t req) { return *static_cast<FuseRequests*>(fuse_req_userdata(req)); }

fuse_lowlevel_ops make_operations() {
  fuse_lowlevel_ops ops{};
  ops.init = [](void* userdata, fuse_conn_info* conn) { static_cast<FuseRequests*>(userdata)->init(conn); };
  ops.lookup = [](fuse_req_t req, fuse_ino_t parent, const char* name) { self(req).lookup(req, parent, name); };
  ops.forget = [](fuse_req_t req, fuse_ino_t ino, uint64_t count) {
    self(req).forget(ino, count);
    fuse_reply_none(req);
  };
  ops.forget_multi = [](fuse_req_t req, size_t count, fuse_forget_data* forgets) {
    for (size_t i = 0; i < count; ++i) self(req).forget(forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
  };
  ops.getattr = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { self(req).getattr(req, ino, fi); };
  ops.setattr = [](fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
    self(req).setattr(req, ino, attr, to_set, fi);
  };
  ops.readlink = [](fuse_req_t req, fuse_ino_t ino) { self(req).readlink(req, ino); };
  ops.mknod = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t) {
    self(req).mknod(req, parent, name, mode);
  };
  ops.mkdir = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
    self(req).mkdir(req, parent, name, mode);
  };
  ops.unlink = [](fuse_req_t req, fuse_ino_t parent, const char* name) { self(req).unlink(req, parent, name); };
  ops.rmdir = [](fuse_req_t req, fuse_ino_t parent, const char* name) { self(req).rmdir(req, parent, name); };
  ops.symlink = [](fuse_req_t req, const char*, fuse_ino_t, const char* name) {
    self(req).not_replicated(req, "symbolic link", name);
  };
  ops.link = [](fuse_req_t req, fuse_ino_t, fuse_ino_t, const char* name) {
    self(req).not_replicated(req, "hard link", name);
  };
  ops.rename = [](fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
                  unsigned int flags) { self(req).rename(req, parent, name, newparent, newname, flags); };
  ops.open = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { self(req).open(req, ino, fi); };
  ops.read = [](fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
    self(req).read(req, size, off, fi);
  };
  ops.write = [](fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
    self(req).write(req, ino, buf, size, off, fi->flags);
  };
  ops.flush = [](fuse_req_t req, fuse_ino_t, fuse_file_info*) { self(req).flush(req); };
  ops.release = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { self(req).release(req, ino, fi); };
  ops.fsync = [](fuse_req_t req, fuse_ino_t ino, int, fuse_file_info*) { self(req).fsync(req, ino); };
  ops.opendir = [](fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) { self(req).opendir(req, ino, fi); };
  ops.readdir = [](fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    self(req).readdir(req, ino, size, off, fi);
  };
  ops.releasedir = [](fuse_req_t req, fuse_ino_t, fuse_file_info* fi) { self(req).releasedir(req, fi); };
  ops.fsyncdir = [](fuse_req_t req, fuse_ino_t, int, fuse_file_info*) { fuse_reply_err(req, EINVAL); };
  ops.statfs = [](fuse_req_t req, fuse_ino_t) { self(req).statfs(req); };
  ops.create = [](fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
    self(req).create(req, parent, name, mode, fi);
  };
  return ops;
}

}  // namespace

FuseRequests::FuseRequests(std::string backing_dir, std::uint32_t directory, WriteSink& sink,
                           LoopDispatcher& dispatcher, std::vector<std::string> leftovers,
                           bool hidden_directory_exists, fuse_conn_info_opts* conn_opts)
    : backing_dir_(std::move(backing_dir)),
      directory_(directory),
      sink_(sink),
      dispatcher_(dispatcher),
      conn_opts_(conn_opts),
      leftovers_(std::move(leftovers)),
      hidden_directory_ready_(hidden_directory_exists) {}

const fuse_lowlevel_ops& FuseRequests::operations() {
  static const fuse_lowlevel_ops ops = make_operations();
  return ops;
}

void FuseRequests::init(fuse_conn_info* conn) {
  fuse_apply_conn_info_opts(conn_opts_, conn);
  // The kernel would acknowledge writes before they are replicated.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  // open(O_TRUNC) then arrives as a setattr(size), replicated as a truncate.
  conn->want &= ~FUSE_CAP_ATOMIC_O_TRUNC;
  log("fuse: " + backing_dir_ + ": writes of up to " + std::to_string(conn->max_write) + " bytes");
}

std::string FuseRequests::backing(const std::string& relative) const {
  return relative.empty() ? backing_dir_ : backing_dir_ + "/" + relative;
}

bool FuseRequests::path_of(fuse_req_t req, fuse_ino_t ino, std::string& path) const {
  auto found = table_.path_of(ino);
  if (!found) {
    fuse_reply_err(req, ENOENT);
    return false;
  }
  path = std::move(*found);
  return true;
}

bool FuseRequests::child_path(fuse_req_t req, fuse_ino_t parent, const char* name, std::string& path) const {
  std::string parent_path;
  if (!path_of(req, parent, parent_path)) return false;
  path = parent_path.empty() ? std::string(name) : parent_path + "/" + name;
  return true;
}

bool FuseRequests::may_change(fuse_req_t req) {
  if (!sink_.writable()) {
    fuse_reply_err(req, EROFS);
    return false;
  }
  remove_leftovers();
  return true;
}

void FuseRequests::remove_leftovers() {
  if (leftovers_.empty()) return;
  std::vector<core::FileOp> ops;
  for (const auto& name : leftovers_) ops.push_back(op(core::OpKind::unlink, std::string(kHiddenDirectory) + "/" + name));
  leftovers_.clear();
  submit_unanswered(std::move(ops), "removing files left open by an earlier run");
}

int FuseRequests::fill_entry(const std::string& path, fuse_entry_param& entry) {
  entry = fuse_entry_param{};
  if (::lstat(backing(path).c_str(), &entry.attr) != 0) return errno;
  entry.ino = table_.remember(path);
  entry.attr_timeout = kAttrTimeoutS;
  entry.entry_timeout = kAttrTimeoutS;
  return 0;
}

core::FileOp FuseRequests::op(core::OpKind kind, const std::string& path) const {
  return core::FileOp{.kind = kind, .directory = directory_, .path = path};
}

void FuseRequests::submit(fuse_req_t req, std::vector<core::FileOp> ops, std::function<void()> on_done,
                          std::function<void()> on_failed) {
  HM_ASSERT(!ops.empty());
  std::string what = core::describe(ops.front());
  dispatcher_.post(Submission{
      .ops = std::move(ops),
      .finish = [this, req, what = std::move(what), on_done = std::move(on_done),
                 on_failed = std::move(on_failed)](io::Error result) {
        if (result == io::Error::ok) return on_done();
        if (on_failed) on_failed();
        // read_only is the normal answer on a secondary: not worth a line each time.
        if (result != io::Error::read_only) {
          log("fuse: " + backing_dir_ + ": " + what + " failed: " + std::string(io::error_name(result)));
        }
        fuse_reply_err(req, errno_from_error(result));
      }});
}

void FuseRequests::submit_unanswered(std::vector<core::FileOp> ops, const std::string& why) {
  std::string what = core::describe(ops.front());
  dispatcher_.post(Submission{.ops = std::move(ops), .finish = [this, what, why](io::Error result) {
    if (result != io::Error::ok) {
      log("fuse: " + backing_dir_ + ": " + why + ": " + what + " failed: " + std::string(io::error_name(result)));
    }
  }});
}

void FuseRequests::log(std::string line) { dispatcher_.post_log(std::move(line)); }

}  // namespace hamirror::fuse
