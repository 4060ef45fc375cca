// Replacing a small state file so that a crash leaves either the old or the new
// contents, never a mix: write a temporary file, fsync it, rename it over the target,
// fsync the directory. On Windows the backend's rename is MoveFileEx with
// MOVEFILE_WRITE_THROUGH, which makes the rename itself durable.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "io/bytes.h"
#include "io/filesystem.h"

namespace hamirror::io {

// The temporary file is `path` + kAtomicTempSuffix; a stale one left by a crash is
// overwritten. done(ok) means the new contents are durable.
// Precondition: no other replacement of the same path is in flight (both would share
// the temporary file); AtomicFile below queues them for you.
inline constexpr const char* kAtomicTempSuffix = ".tmp";
void write_file_atomically(FileSystem& fs, const std::string& path, ByteView contents, FileSystem::DoneFn done);

// One small state file, replaced atomically, one replacement at a time: a write asked
// for while another is in flight waits for it, in order. Completions still run after
// the AtomicFile is destroyed (the FileSystem must outlive them).
class AtomicFile {
 public:
  static constexpr std::size_t kMaxQueuedWrites = 16;

  AtomicFile(FileSystem& fs, std::string path);
  // would_block (and done is not called) when kMaxQueuedWrites already wait.
  Error write(ByteView contents, FileSystem::DoneFn done);
  const std::string& path() const;

 private:
  struct Queue;
  std::shared_ptr<Queue> queue_;
};

// Reads a whole file (bounded by max_bytes: larger files fail with invalid_argument).
void read_whole_file(FileSystem& fs, const std::string& path, std::uint64_t max_bytes, FileSystem::ReadFn done);

}  // namespace hamirror::io
