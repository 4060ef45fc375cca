// One file or directory of the simulated disk, with its current state and the part of
// it that would survive a power cut.
//
// A file's invariant: durable_data with every change in `unsynced` applied in order
// equals `data`. fsync folds the changes into durable_data. A directory keeps its
// current entries and the entries as of its last fsync_dir apart the same way.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "fsim/file_data.h"
#include "io/bytes.h"
#include "io/filesystem.h"

namespace hamirror::fsim {

using InodeId = std::uint64_t;

// Permission bits of new files and directories (what the real backends create with).
constexpr std::uint32_t kFileMode = 0644;
constexpr std::uint32_t kDirectoryMode = 0755;
// What set_mode accepts: permission bits, never file type bits.
constexpr std::uint32_t kPermissionBits = 07777;

// Bounds a file's unsynced changes. Past it the oldest change is written back, as a
// kernel flushes dirty pages on its own: memory stays bounded and the change becomes
// durable early, which a real disk is also free to do.
constexpr std::size_t kMaxUnsyncedChangesPerFile = 4096;

// A write or truncate not yet made durable by fsync.
struct UnsyncedChange {
  enum class Kind : std::uint8_t { write, truncate };
  Kind kind = Kind::write;
  std::uint64_t offset = 0;      // write: where the bytes go
  FileData::Extent bytes;        // write: what was written (shared with the file's pages)
  std::uint64_t size_bytes = 0;  // truncate: the new size
};

// Applies a change kept as unsynced (a write's bytes zero-fill any gap past the end).
void apply_change(FileData& data, const UnsyncedChange& change);

struct Inode {
  InodeId id = 0;
  io::FileKind kind = io::FileKind::regular;
  std::int64_t mtime_ns = 0;
  std::uint32_t mode = 0;

  // Regular files.
  FileData data;
  FileData durable_data;
  std::deque<UnsyncedChange> unsynced;

  // Directories: name -> inode, sorted by name (readdir's order).
  std::map<std::string, InodeId> entries;
  std::map<std::string, InodeId> durable_entries;

  // What keeps the inode alive: current names, durable names, open handles. An inode
  // with none of them can never be reached again and is freed.
  std::uint32_t links = 0;
  std::uint32_t durable_links = 0;
  std::uint32_t open_handles = 0;
};

}  // namespace hamirror::fsim
