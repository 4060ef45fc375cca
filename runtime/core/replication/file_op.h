// One change to a replicated directory, as the primary sequences it and the secondary
// applies it. Paths are relative to the replicated directory's root, '/'-separated,
// and validated (no empty, "." or ".." components), so a peer can never reach outside
// the directory it replicates into.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "io/bytes.h"
#include "io/shared_bytes.h"
#include "io/error.h"

namespace hamirror::core {

constexpr std::size_t kMaxRelativePathBytes = 4096;
// One write op carries at most this much; frontends split larger writes.
constexpr std::size_t kMaxWriteOpBytes = 1024 * 1024;

enum class OpKind : std::uint8_t {
  create,     // a regular file; exclusive fails with already_exists; mode (see FileOp)
  write,      // bytes at an offset
  truncate,   // to size_bytes
  mkdir,      // mode (see FileOp)
  rename,     // path -> target, replacing a target file
  unlink,
  rmdir,
  set_mtime,  // mtime_ns
  fsync,      // the file's data, and its directory entry, durable on both copies
  set_mode,   // mode: permission bits of a file or directory (last: kinds keep their wire values)
};

// A replicated mode is permission bits only (rwx for all three, setuid, setgid,
// sticky): never file type bits. Owners are not replicated (uids differ between machines).
constexpr std::uint32_t kModeBits = 07777;

constexpr std::size_t kMaxReplicatedDirectories = 32;

struct FileOp {
  OpKind kind = OpKind::write;
  std::uint32_t directory = 0;  // index of the replicated directory (<rfs> order)
  std::string path;
  std::string target;  // rename only
  std::uint64_t offset = 0;
  std::uint64_t size_bytes = 0;
  std::int64_t mtime_ns = 0;
  bool exclusive = false;
  // Write only. Shared, never copied on its way: the replication stream encodes it from
  // here, the local applier writes it from here, and a secondary's decoded op points
  // into the frame that carried it.
  io::SharedBytes data;
  // Within kModeBits. set_mode: the bits to set. create, mkdir: the new entry's bits,
  // as the application asked (umask applied), or 0 for the backing's default (0644,
  // 0755); an entry already there keeps its own, as with open(O_CREAT) and mkdir(2).
  std::uint32_t mode = 0;

  friend bool operator==(const FileOp&, const FileOp&) = default;
};

std::string_view op_kind_name(OpKind kind);
// Whether ops of this kind may carry a mode (set_mode, create, mkdir).
bool carries_mode(OpKind kind);
// The disk failed the op (EIO, ENOSPC) after it may have changed part of what it names:
// where it wrote, this copy and the other may differ until a resync covers it.
bool is_disk_failure(io::Error result);
// The op failed on what the directory holds (ENOENT, EEXIST, ENOTEMPTY, EISDIR,
// ENOTDIR) and changed nothing: applied in the same order to an equal copy, it fails
// there alike. A writer's rmdir of a full directory, say: not a sign that copies differ.
bool fails_alike_on_a_mirror(io::Error result);
// invalid_argument when a path is not a valid relative path, the directory index is
// out of range, or the op's fields do not fit its kind (a write of more than
// kMaxWriteOpBytes, a rename without target, a mode outside kModeBits).
io::Error validate(const FileOp& op, std::size_t directory_count);
bool is_valid_relative_path(std::string_view path);

// The native path of `relative` under `root`, with the separator `root` uses.
std::string native_path(const std::string& root, std::string_view relative);

// A one-line description for logs and the trace: "write a/b.txt @4096 +512".
std::string describe(const FileOp& op);

}  // namespace hamirror::core
