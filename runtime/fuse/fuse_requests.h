// The answers to FUSE's low-level requests for one mount.
//
// Reads, lookups, getattr, readdir and open are served on FUSE's thread from the
// backing directory. Each change is turned into FileOps and posted to the loop
// (LoopDispatcher); the request is answered from the loop thread once the sink
// completed it (applied here and acknowledged by the secondary), with its error as
// errno. The loop thread only makes quick local calls to answer: stat or open of a path
// that was just applied, and the reply itself.
//
// Decisions (see also README.md in this folder):
// - chmod: a replicated set_mode op (permission bits only). chown: EPERM unless it
//   changes nothing (uids and gids differ between machines; an owner set on one copy
//   only would make the copies differ). atime: not kept (as noatime). create, mknod
//   and mkdir carry the mode the application asked for, less its umask, in their op:
//   both copies get it (a mode of 0 there leaves the backing's default).
// - symlinks, hard links, device nodes: ENOTSUP with a log line (not replicated).
// - flush (close): 0 at once — every write was acknowledged only once replicated.
// - fsyncdir: EINVAL (the core has no directory sync op yet; EINVAL is what
//   applications already tolerate from file systems that cannot sync a directory).
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fuse/inode_table.h"
#include "fuse/loop_dispatcher.h"
#include "fuse/write_sink.h"

namespace hamirror::fuse {

// How long the kernel may trust a name or attributes (the secondary's copy changes
// under its read-only mount; the primary's only through us).
constexpr double kAttrTimeoutS = 1.0;

class FuseRequests {
 public:
  // leftovers: names in the hidden area found at start (see remove_leftovers). conn_opts: from fuse_parse_conn_info_opts, applied at init.
  FuseRequests(std::string backing_dir, std::uint32_t directory, WriteSink& sink, LoopDispatcher& dispatcher,
               std::vector<std::string> leftovers, bool hidden_directory_exists, fuse_conn_info_opts* conn_opts);

  static const fuse_lowlevel_ops& operations();
  // Replicates the unlink of the leftovers, once: called at start when writable (before
  // FUSE's thread runs), else by the first change made while writable.
  void remove_leftovers();

  void init(fuse_conn_info* conn);
  // Reads (read_requests.cpp).
  void lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
  void forget(fuse_ino_t ino, std::uint64_t count);
  void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void readlink(fuse_req_t req, fuse_ino_t ino);
  void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void read(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi);
  void flush(fuse_req_t req);
  void release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
  void releasedir(fuse_req_t req, fuse_file_info* fi);
  void statfs(fuse_req_t req);
  // Changes (write_requests.cpp).
  // mode: as the application gave it (the caller's umask is in the request's context).
  void create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi);
  void mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
  void mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
  void unlink(fuse_req_t req, fuse_ino_t parent, const char* name);
  void rmdir(fuse_req_t req, fuse_ino_t parent, const char* name);
  void rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
              unsigned int flags);
  void setattr(fuse_req_t req, fuse_ino_t ino, const struct stat* attr, int to_set, fuse_file_info* fi);
  // open_flags: the descriptor's flags (O_DIRECT, O_DSYNC), as the kernel passes them.
  void write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off, int open_flags);
  void fsync(fuse_req_t req, fuse_ino_t ino);
  void not_replicated(fuse_req_t req, const char* what, const char* name);

 private:
  std::string backing(const std::string& relative) const;
  // Replies ENOENT and returns false when the inode is unknown or removed.
  bool path_of(fuse_req_t req, fuse_ino_t ino, std::string& path) const;
  bool child_path(fuse_req_t req, fuse_ino_t parent, const char* name, std::string& path) const;
  // Answers EROFS (and returns false) unless writable; clears leftovers first.
  bool may_change(fuse_req_t req);
  // Entry for a path that exists in the backing directory now; errno or 0.
  int fill_entry(const std::string& path, fuse_entry_param& entry);
  core::FileOp op(core::OpKind kind, const std::string& path) const;
  // Posts ops; the request gets errno on failure, else on_done() answers it.
  void submit(fuse_req_t req, std::vector<core::FileOp> ops, std::function<void()> on_done,
              std::function<void()> on_failed = {});
  // Posts ops nobody waits for (unlinks of hidden files); failures are logged.
  void submit_unanswered(std::vector<core::FileOp> ops, const std::string& why);
  void ensure_hidden_directory();
  void hide_open_file(Inode inode, const std::string& path, fuse_req_t req);
  void log(std::string line);

  const std::string backing_dir_;
  const std::uint32_t directory_;
  WriteSink& sink_;
  LoopDispatcher& dispatcher_;
  fuse_conn_info_opts* conn_opts_;
  InodeTable table_;
  std::vector<std::string> leftovers_;  // FUSE's thread only
  std::atomic<bool> hidden_directory_ready_;  // reset by the loop when its mkdir failed
};

}  // namespace hamirror::fuse
