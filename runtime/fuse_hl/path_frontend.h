// The answers to FUSE's high-level (path-based) callbacks for one replicated directory:
// the same decisions as the Linux low-level frontend (runtime/fuse/README.md), with the
// same shared parts — every change becomes core::FileOps handed to the WriteSink through
// the LoopDispatcher, in order, and the callback returns only once they completed
// (applied here and acknowledged by the secondary); reads come from this node's copy.
//
// The high-level API is synchronous: a callback blocks its FUSE thread until the loop
// has the answer. Linux (tests) serves one request at a time; WinFsp calls from several
// threads at once, and the dispatcher keeps their changes in the order they arrived.
//
// Differences from the low-level frontend, all from the API:
// - Identity is the path. An unlinked open file is kept by libfuse itself (hard_remove
//   off): it renames it to .fuse_hidden* and unlinks it at the last close, both as
//   replicated ops. On Windows a file is deleted only when its last handle closes
//   (delete-on-close, FILE_SHARE_DELETE), so WinFsp sends the unlink then.
// - case_insensitive (Windows): names match without regard to ASCII case, and each op
//   carries the path in its stored case, so the core's records name one file one way.
//   WinFsp is told the volume is case-insensitive (FSP_FUSE_CAP_CASE_INSENSITIVE).
// - fsync: fsync(2) and fdatasync(2) on Linux; FlushFileBuffers on Windows.
// Sharing modes are checked by WinFsp before any callback (a conflicting open fails
// there with ERROR_SHARING_VIOLATION); nothing of them reaches this class.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fuse/loop_dispatcher.h"
#include "fuse/write_sink.h"
#include "fuse_hl/backing_dir.h"
#include "hl_api.h"

namespace hamirror::fuse_hl {

// How long the OS may trust a name or attributes (as the Linux frontend).
constexpr double kAttrTimeoutS = 1.0;

struct FrontendOptions {
  std::string backing_dir;      // this node's copy
  std::uint32_t directory = 0;  // FileOp.directory
  bool case_insensitive = false;
};

class PathFrontend {
 public:
  PathFrontend(FrontendOptions options, fuse::WriteSink& sink, fuse::LoopDispatcher& dispatcher);

  // The callbacks, with private_data pointing at a PathFrontend (path_operations.cpp).
  static const api::Operations& operations();

  void init(api::ConnInfo* conn, api::Config* config);
  // Reads (path_reads.cpp); each returns 0 or -errno, read the byte count.
  int getattr(const char* path, api::Stat* attributes, api::FileInfo* fi);
  int open(const char* path, api::FileInfo* fi);
  int read(char* buffer, std::size_t size, api::Offset offset, api::FileInfo* fi);
  int release(api::FileInfo* fi);
  int readdir(const char* path, void* buffer, api::FillDir fill);
  int statfs(api::StatVfs* stats);
  // Changes (path_changes.cpp): answered once replicated.
  // mode: as the application gave it; the new entry gets it less the caller's umask
  // on both copies (0 left: the backing's default).
  int create(const char* path, api::Mode mode, api::FileInfo* fi);
  int mknod(const char* path, api::Mode mode);
  int mkdir(const char* path, api::Mode mode);
  int unlink(const char* path);
  int rmdir(const char* path);
  int rename(const char* from, const char* to, unsigned int flags);
  int truncate(const char* path, api::Offset size);
  int utimens(const char* path, const api::Timespec times[2]);
  int chmod(const char* path, std::uint32_t mode);  // mode: permission bits only
  int change_owner(const char* path, bool changes);
  int write(const char* path, const char* buffer, std::size_t size, api::Offset offset);
  int fsync(const char* path);
  int not_replicated(const char* what, const char* path);

  // The path relative to the backing directory; with case_insensitive, each existing
  // component in its stored case (a component that does not exist stays as given).
  std::string relative(const char* path) const;

 private:
  core::FileOp op(core::OpKind kind, const std::string& path) const;
  // Hands the ops to the loop and waits for their result (cancelled when the mount
  // stops first).
  io::Error replicate(std::vector<core::FileOp> ops);
  // 0, or -errno for the result (logged unless it is the secondary's read_only).
  int answer(io::Error result, const std::string& what);
  bool writable() const { return sink_.writable(); }
  void log(std::string line);

  const FrontendOptions options_;
  const BackingDir backing_;
  fuse::WriteSink& sink_;
  fuse::LoopDispatcher& dispatcher_;
};

}  // namespace hamirror::fuse_hl
