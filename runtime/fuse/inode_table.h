// The frontend's inodes: the number FUSE knows a file by, and where that file lives in
// the backing directory now. A file keeps its number across renames (its path moves,
// directories take their descendants along) and across an unlink while it is open (its
// path becomes the hidden one, see hidden_area.h), so an open file stays the same file.
//
// Paths are relative to the backing directory, '/'-separated, "" for the root.
// Thread-safe: FUSE's thread and the loop's thread both use it.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace hamirror::fuse {

using Inode = std::uint64_t;
constexpr Inode kRootInode = 1;  // FUSE_ROOT_ID

class InodeTable {
 public:
  InodeTable();

  // The kernel learned `path` (a lookup, create or mkdir answered): its inode, with one
  // more kernel reference.
  Inode remember(const std::string& path);
  // The kernel dropped `count` references; the entry goes once none remain and the
  // file is not open.
  void forget(Inode inode, std::uint64_t count);
  // The current path; nullopt for an unknown inode or a file that was removed.
  std::optional<std::string> path_of(Inode inode) const;
  std::optional<Inode> inode_at(const std::string& path) const;

  void opened(Inode inode);
  // One open fewer. When it was the last one and the file was hidden by an unlink,
  // returns the hidden path to remove now (the entry forgets that path).
  std::optional<std::string> released(Inode inode);
  std::uint32_t open_count(Inode inode) const;

  // `from` (and everything under it) now lives at `to`; whatever was at `to` is gone.
  void moved(const std::string& from, const std::string& to);
  // The file at `path` was removed (unlink, rmdir).
  void removed(const std::string& path);
  // An open file was unlinked: it lives at `hidden_path` until its last release.
  void hidden(Inode inode, const std::string& hidden_path);
  // Undoes hidden() when the rename to the hidden name failed.
  void unhidden(Inode inode, const std::string& path);

 private:
  struct Entry {
    std::string path;
    std::uint64_t lookups = 0;
    std::uint32_t opens = 0;
    bool removed = false;
    bool hidden = false;
  };
  void drop_if_unused(std::unordered_map<Inode, Entry>::iterator entry);
  void detach_path(const std::string& path);

  mutable std::mutex mutex_;
  std::unordered_map<Inode, Entry> entries_;
  std::map<std::string, Inode> by_path_;  // ordered: a directory's descendants are adjacent
  Inode next_inode_ = kRootInode + 1;
};

}  // namespace hamirror::fuse
