// The base of every fault layer: an io::FileSystem that forwards each call to an inner
// one (LevelDB's EnvWrapper). A layer overrides only the calls it changes, so layers
// stack in any order over MemFs or any other FileSystem, as FoundationDB stacks its
// simulated disk: MemFs <- CapacityFs <- FaultyFs <- SlowFs <- the node.
//
// The inner FileSystem must outlive the wrapper. A layer that schedules work of its
// own cancels it when destroyed, so after a crash the node's stack can be dropped and
// rebuilt over the same MemFs.
#pragma once

#include <string>
#include <utility>

#include "io/filesystem.h"

namespace hamirror::fsim {

class FileSystemWrapper : public io::FileSystem {
 public:
  explicit FileSystemWrapper(io::FileSystem& inner) : inner_(inner) {}

  void open(const std::string& path, io::OpenFlags flags, OpenFn done) override { inner_.open(path, flags, std::move(done)); }
  void close(io::FileHandle file, DoneFn done) override { inner_.close(file, std::move(done)); }
  void read(io::FileHandle file, std::uint64_t offset, std::uint64_t size, ReadFn done) override {
    inner_.read(file, offset, size, std::move(done));
  }
  void write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) override {
    inner_.write(file, offset, bytes, std::move(done));
  }
  void fsync(io::FileHandle file, DoneFn done) override { inner_.fsync(file, std::move(done)); }
  void truncate(io::FileHandle file, std::uint64_t size_bytes, DoneFn done) override {
    inner_.truncate(file, size_bytes, std::move(done));
  }
  void fstat(io::FileHandle file, StatFn done) override { inner_.fstat(file, std::move(done)); }
  void stat(const std::string& path, StatFn done) override { inner_.stat(path, std::move(done)); }
  void rename(const std::string& from, const std::string& to, DoneFn done) override {
    inner_.rename(from, to, std::move(done));
  }
  void unlink(const std::string& path, DoneFn done) override { inner_.unlink(path, std::move(done)); }
  void mkdir(const std::string& path, DoneFn done) override { inner_.mkdir(path, std::move(done)); }
  void rmdir(const std::string& path, DoneFn done) override { inner_.rmdir(path, std::move(done)); }
  void readdir(const std::string& path, ReadDirFn done) override { inner_.readdir(path, std::move(done)); }
  void fsync_dir(const std::string& path, DoneFn done) override { inner_.fsync_dir(path, std::move(done)); }
  void sync_file_system(const std::string& path, DoneFn done) override { inner_.sync_file_system(path, std::move(done)); }
  void set_mtime(const std::string& path, std::int64_t mtime_ns, DoneFn done) override {
    inner_.set_mtime(path, mtime_ns, std::move(done));
  }
  void set_mode(const std::string& path, std::uint32_t mode, DoneFn done) override {
    inner_.set_mode(path, mode, std::move(done));
  }

 protected:
  io::FileSystem& inner() { return inner_; }

 private:
  io::FileSystem& inner_;
};

}  // namespace hamirror::fsim
