// This node's copy of a replicated directory, read directly: what the high-level
// frontend answers reads, getattr and readdir from (changes never go through here but
// through the WriteSink). One implementation per OS: linux/backing_dir_posix.cpp and
// winfsp/backing_dir_win.cpp.
//
// Paths are relative to the root, '/'-separated, "" for the root itself. Results are 0
// or a positive errno. Thread-safe (no state besides the root).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hl_api.h"

namespace hamirror::fuse_hl {

class BackingDir {
 public:
  explicit BackingDir(std::string root) : root_(std::move(root)) {}

  int stat(const std::string& relative, api::Stat& attributes) const;
  // A read-only handle for fi->fh: the application's writes never use it.
  int open_read(const std::string& relative, std::uint64_t& handle) const;
  int stat_open(std::uint64_t handle, api::Stat& attributes) const;
  int read(std::uint64_t handle, char* buffer, std::size_t size, std::uint64_t offset, std::size_t& got) const;
  void close(std::uint64_t handle) const;
  // The names in a directory, without "." and "..".
  int list(const std::string& relative, std::vector<std::string>& names) const;
  int statfs(api::StatVfs& stats) const;
  // `name` as stored in the directory `dir` when an entry matches it without regard to
  // case (path_names.h); else `name` as given.
  std::string stored_name(const std::string& dir, const std::string& name) const;

  const std::string& root() const { return root_; }

 private:
  std::string full_path(const std::string& relative) const;
  std::string root_;
};

}  // namespace hamirror::fuse_hl
