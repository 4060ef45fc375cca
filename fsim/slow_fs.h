// A fault layer that makes the disk slow: each call waits a latency before it reaches
// the inner file system (so its effect, and an fsync's durability, happens late, and a
// crash meanwhile means it never happened). The latency is fixed, or drawn uniformly
// between min and max from this layer's own Prng; fsync, fsync_dir and sync_file_system add a sync
// latency on top, since flushing to stable storage is the slow part. Calls issued
// without waiting for each other may then complete out of order, which the
// FileSystem contract allows. Defaults: no latency, and calls pass straight through.
#pragma once

#include <cstdint>
#include <functional>

#include "fsim/fs_wrapper.h"
#include "fsim/pending_events.h"
#include "io/random.h"
#include "sim/scheduler.h"

namespace hamirror::fsim {

// Calls waiting out their latency, per layer.
constexpr std::size_t kMaxDelayedCalls = 100'000;

struct SlowFsOptions {
  std::int64_t latency_min_ns = 0;
  std::int64_t latency_max_ns = 0;
  std::int64_t sync_latency_min_ns = 0;  // extra, for fsync and fsync_dir
  std::int64_t sync_latency_max_ns = 0;
};

class SlowFs final : public FileSystemWrapper {
 public:
  SlowFs(io::FileSystem& inner, sim::Scheduler& scheduler, io::Prng random, SlowFsOptions options = {});

  void set_options(SlowFsOptions options);
  // Drops calls still waiting out their latency (the caller crashed): they never
  // reach the disk.
  void cancel_pending() { pending_.cancel_all(); }
  std::size_t delayed_calls() const { return pending_.size(); }

  void open(const std::string& path, io::OpenFlags flags, OpenFn done) override;
  void close(io::FileHandle file, DoneFn done) override;
  void read(io::FileHandle file, std::uint64_t offset, std::uint64_t size, ReadFn done) override;
  void write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) override;
  void write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes, WriteFn done) override;
  void fsync(io::FileHandle file, DoneFn done) override;
  void truncate(io::FileHandle file, std::uint64_t size_bytes, DoneFn done) override;
  void fstat(io::FileHandle file, StatFn done) override;
  void stat(const std::string& path, StatFn done) override;
  void rename(const std::string& from, const std::string& to, DoneFn done) override;
  void unlink(const std::string& path, DoneFn done) override;
  void mkdir(const std::string& path, DoneFn done) override;
  void rmdir(const std::string& path, DoneFn done) override;
  void readdir(const std::string& path, ReadDirFn done) override;
  void fsync_dir(const std::string& path, DoneFn done) override;
  void sync_file_system(const std::string& path, DoneFn done) override;
  void set_mtime(const std::string& path, std::int64_t mtime_ns, DoneFn done) override;
  void set_mode(const std::string& path, std::uint32_t mode, DoneFn done) override;

 private:
  enum class Cost : std::uint8_t { plain, sync };
  // Runs call after the drawn latency; at once (no scheduler event) when it is 0.
  void delay(Cost cost, std::function<void()> call);
  std::int64_t draw(std::int64_t min_ns, std::int64_t max_ns);

  io::Prng random_;
  SlowFsOptions options_;
  PendingEvents pending_;
};

}  // namespace hamirror::fsim
