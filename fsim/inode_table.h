// MemFs's namespace: the inodes, name lookup through current or durable directory
// entries, link counting, and the rebuild of the tree after a power cut. It knows
// nothing of handles, completions or the trace (mem_fs.cpp does).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fsim/inode.h"
#include "fsim/path.h"
#include "io/error.h"

namespace hamirror::fsim {

// Bounds the number of files and directories; creating more fails with no_space, as
// a real file system out of inodes does.
constexpr std::size_t kMaxInodes = 1'000'000;

enum class View : std::uint8_t { current, durable };

class InodeTable {
 public:
  static constexpr InodeId kRootId = 1;

  explicit InodeTable(std::int64_t root_mtime_ns);
  InodeTable(const InodeTable&) = delete;
  InodeTable& operator=(const InodeTable&) = delete;

  Inode& at(InodeId id);
  const Inode& at(InodeId id) const;
  bool contains(InodeId id) const { return id < inodes_.size() && inodes_[id] != nullptr; }
  std::size_t size() const { return live_; }

  // Resolves the path's first `count` names (all by default) from the root:
  // not_found, or not_directory when a name before the last is not a directory.
  io::Result<InodeId> lookup(const ParsedPath& path, View view) const { return lookup(path, path.size(), view); }
  io::Result<InodeId> lookup(const ParsedPath& path, std::size_t count, View view) const;
  // Resolves every name but the last (the path must not be the root): the directory
  // that holds, or would hold, the last name.
  io::Result<InodeId> lookup_parent(const ParsedPath& path) const;

  // A new inode with no name yet: the caller links it, or it is freed by the next
  // unlink/close that finds it unreferenced.
  InodeId create(io::FileKind kind, std::int64_t mtime_ns, std::uint32_t mode);
  // Adds dir/name -> target to the current entries; name must be absent.
  void link(InodeId dir, std::string_view name, InodeId target);
  // Removes dir/name from the current entries and frees the target if unreferenced.
  void unlink(InodeId dir, std::string_view name);

  // fsync_dir: the current entries become the durable ones.
  void sync_entries(InodeId dir);
  // fsync: the file's current data becomes durable.
  void sync_data(InodeId file);
  // syncfs: every file's data and every directory's entries become durable.
  void sync_all();

  void add_handle(InodeId id);
  void drop_handle(InodeId id);

  // Visits every name reachable from the root through the chosen entries, depth first
  // in name order. A directory is visited once: in the durable view a directory moved
  // between two unsynced parents can show up under both (even in a cycle), and only
  // its first name is visited (as fsck would keep one). Files may have several names.
  using Visit = std::function<void(const std::string& path, InodeId parent, const std::string& name, const Inode&)>;
  void walk(View view, const Visit& visit) const;

  // After a power cut: the tree becomes what the durable entries reach from the root
  // (see walk for directories seen twice); everything else is freed, all handles are
  // gone. settle_file is called once per surviving file, with its first path, to
  // decide its contents (it must leave no unsynced changes).
  void rebuild_from_durable(const std::function<void(const std::string& path, Inode&)>& settle_file);

 private:
  void release_if_unreferenced(InodeId id);

  // Indexed by id (ids are never reused; a freed one is null): at() is an index, not
  // a tree walk. Visiting it in index order is visiting in id order, as the map did.
  std::vector<std::unique_ptr<Inode>> inodes_;
  std::size_t live_ = 0;  // non-null entries
  // Work lists of sync_entries and release_if_unreferenced, kept between calls.
  std::vector<InodeId> dropped_buffer_;
  std::vector<InodeId> work_buffer_;
  InodeId next_id_ = kRootId + 1;
};

}  // namespace hamirror::fsim
