// One file or directory of the simulated disk, with its current state and the part of
// it that would survive a power cut.
//
// A file's invariant: durable_data with every change in `unsynced` applied in order
// equals `data`. fsync folds the changes into durable_data. A directory keeps its
// current entries and the entries as of its last fsync_dir apart the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

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

// A file's unsynced changes, oldest first: a queue in one vector. std::deque allocated
// its block map and a 512-byte block for every inode made, directories and files
// never written included, and most inodes (an atomic write's temporary file) live a
// few calls. pop_front() leaves a hole at the front that the next push_back()
// reclaims once the holes are half of the vector: amortised O(1) per change.
class UnsyncedChanges {
 public:
  std::size_t size() const { return changes_.size() - head_; }
  bool empty() const { return size() == 0; }
  const UnsyncedChange& front() const { return changes_[head_]; }
  const UnsyncedChange& operator[](std::size_t index) const { return changes_[head_ + index]; }
  std::span<const UnsyncedChange> all() const { return std::span<const UnsyncedChange>(changes_).subspan(head_); }

  void push_back(UnsyncedChange change);
  void pop_front();
  void clear() {
    changes_.clear();
    head_ = 0;
  }

 private:
  std::vector<UnsyncedChange> changes_;
  std::size_t head_ = 0;  // changes_[0, head_) were popped (their bytes released)
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
  UnsyncedChanges unsynced;

  // Directories: name -> inode, sorted by name (readdir's order). Looked up by
  // string_view (std::less<>): a path's names are views into it.
  std::map<std::string, InodeId, std::less<>> entries;
  std::map<std::string, InodeId, std::less<>> durable_entries;

  // What keeps the inode alive: current names, durable names, open handles. An inode
  // with none of them can never be reached again and is freed.
  std::uint32_t links = 0;
  std::uint32_t durable_links = 0;
  std::uint32_t open_handles = 0;
};

}  // namespace hamirror::fsim
