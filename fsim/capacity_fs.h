// A fault layer that makes the disk fill up: a write or truncate that would grow the
// bytes in use past the capacity fails with no_space (ENOSPC), all or nothing -- never
// a short write, which callers such as write_file_atomically treat as a bug.
//
// Accounting works over any inner FileSystem, through its own answers: before a
// write or truncate the file's size comes from fstat(); before an unlink, a rename
// over a file, or an open that truncates, the size being freed comes from stat().
// Simplifications: space is freed at unlink even while the file is still open, and
// concurrent writes that extend the same file may each reserve the same growth (a
// conservative over-count). Files only: directories take no space. After a crash, or
// over a disk that already holds data, call recount(). Default: unlimited.
#pragma once

#include <cstdint>
#include <string>

#include "fsim/fs_wrapper.h"
#include "sim/scheduler.h"

namespace hamirror::fsim {

constexpr std::uint64_t kUnlimitedBytes = UINT64_MAX;
// Bounds the names recount() walks; a larger tree is a runaway and stops the run.
constexpr std::size_t kMaxRecountEntries = 1'000'000;

struct CapacityFsOptions {
  std::string trace_name = "capacity-fs";
  std::uint64_t capacity_bytes = kUnlimitedBytes;
  std::uint64_t used_bytes = 0;  // already in use below this layer when it starts
};

class CapacityFs final : public FileSystemWrapper {
 public:
  CapacityFs(io::FileSystem& inner, sim::Scheduler& scheduler, CapacityFsOptions options = {});

  void set_capacity(std::uint64_t capacity_bytes) { options_.capacity_bytes = capacity_bytes; }
  std::uint64_t capacity_bytes() const { return options_.capacity_bytes; }
  std::uint64_t used_bytes() const { return used_bytes_; }
  // Sets used_bytes() to the sum of the regular files' sizes under root (readdir and
  // stat through the inner file system), then calls done.
  void recount(const std::string& root, DoneFn done);

  void open(const std::string& path, io::OpenFlags flags, OpenFn done) override;
  void write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) override;
  // Holds the bytes across its fstat by reference, not by a copy.
  void write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes, WriteFn done) override;
  void truncate(io::FileHandle file, std::uint64_t size_bytes, DoneFn done) override;
  void rename(const std::string& from, const std::string& to, DoneFn done) override;
  void unlink(const std::string& path, DoneFn done) override;

 private:
  bool fits(std::uint64_t growth_bytes) const;
  void release(std::uint64_t bytes);
  void refuse(std::string_view what, std::uint64_t growth_bytes);
  // The size a stat() answer says a path's file holds (0: none, or not a file).
  static std::uint64_t file_bytes(const io::Result<io::FileStat>& stat);

  sim::Scheduler& scheduler_;
  CapacityFsOptions options_;
  std::uint64_t used_bytes_ = 0;
};

}  // namespace hamirror::fsim
