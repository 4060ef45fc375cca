// Where an unlinked file lives while it is still open: a directory at the top of the
// replicated directory that the mount never shows (lookup and readdir skip it), so the
// file keeps its data on both copies until its last close, when its unlink is
// replicated. Leftovers from a crash are removed, on both copies, at the next start if
// writable, else at the first change made once writable.
#pragma once

#include <string>
#include <string_view>

#include "fuse/inode_table.h"

namespace hamirror::fuse {

constexpr std::string_view kHiddenDirectory = ".hamirror-unlinked";

inline std::string hidden_path(Inode inode) { return std::string(kHiddenDirectory) + "/" + std::to_string(inode); }

// The name the mount hides (only at the top of the directory).
inline bool is_hidden_entry(Inode parent, std::string_view name) {
  return parent == kRootInode && name == kHiddenDirectory;
}

}  // namespace hamirror::fuse
