// Test helper: drives an io::FileSystem one call at a time, running the simulator
// until the call completes. Every call is checked not to complete inside itself.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fsim/mem_fs.h"
#include "io/filesystem.h"
#include "sim/scheduler.h"
#include "sim/trace.h"

namespace hamirror::fsim::testing {

// Virtual time a single call may take before the helper gives up on it.
constexpr std::int64_t kCallBudgetNs = 3600 * io::kNsPerS;

inline io::Bytes bytes_of(std::string_view text) {
  const auto view = io::as_bytes(text);
  return io::Bytes(view.begin(), view.end());
}

inline std::string text_of(const io::Bytes& bytes) { return std::string(io::as_text(bytes)); }
inline std::string text_of(const std::optional<io::Bytes>& bytes) { return bytes ? text_of(*bytes) : "<missing>"; }

constexpr io::OpenFlags kReadOnly{.read = true, .write = false, .create = false, .exclusive = false, .truncate = false};
constexpr io::OpenFlags kReadWrite{.read = true, .write = true, .create = false, .exclusive = false, .truncate = false};
constexpr io::OpenFlags kCreate{.read = true, .write = true, .create = true, .exclusive = false, .truncate = false};
constexpr io::OpenFlags kCreateNew{.read = true, .write = true, .create = true, .exclusive = true, .truncate = false};

class Sync {
 public:
  Sync(io::FileSystem& fs, sim::Scheduler& scheduler) : fs_(fs), scheduler_(scheduler) {}

  io::Result<io::FileHandle> open(const std::string& path, io::OpenFlags flags) {
    return wait<io::Result<io::FileHandle>>([&](auto done) { fs_.open(path, flags, done); });
  }
  io::Error close(io::FileHandle file) {
    return wait<io::Error>([&](auto done) { fs_.close(file, done); });
  }
  io::Result<io::Bytes> read(io::FileHandle file, std::uint64_t offset, std::uint64_t size) {
    return wait<io::Result<io::Bytes>>([&](auto done) { fs_.read(file, offset, size, done); });
  }
  io::Result<std::uint64_t> write(io::FileHandle file, std::uint64_t offset, std::string_view text) {
    return wait<io::Result<std::uint64_t>>([&](auto done) { fs_.write(file, offset, io::as_bytes(text), done); });
  }
  io::Error fsync(io::FileHandle file) {
    return wait<io::Error>([&](auto done) { fs_.fsync(file, done); });
  }
  io::Error truncate(io::FileHandle file, std::uint64_t size_bytes) {
    return wait<io::Error>([&](auto done) { fs_.truncate(file, size_bytes, done); });
  }
  io::Result<io::FileStat> fstat(io::FileHandle file) {
    return wait<io::Result<io::FileStat>>([&](auto done) { fs_.fstat(file, done); });
  }
  io::Result<io::FileStat> stat(const std::string& path) {
    return wait<io::Result<io::FileStat>>([&](auto done) { fs_.stat(path, done); });
  }
  io::Error rename(const std::string& from, const std::string& to) {
    return wait<io::Error>([&](auto done) { fs_.rename(from, to, done); });
  }
  io::Error unlink(const std::string& path) {
    return wait<io::Error>([&](auto done) { fs_.unlink(path, done); });
  }
  io::Error mkdir(const std::string& path) {
    return wait<io::Error>([&](auto done) { fs_.mkdir(path, done); });
  }
  io::Error rmdir(const std::string& path) {
    return wait<io::Error>([&](auto done) { fs_.rmdir(path, done); });
  }
  io::Result<std::vector<io::DirEntry>> readdir(const std::string& path) {
    return wait<io::Result<std::vector<io::DirEntry>>>([&](auto done) { fs_.readdir(path, done); });
  }
  io::Error sync_file_system(const std::string& path) {
    return wait<io::Error>([&](auto done) { fs_.sync_file_system(path, done); });
  }
  io::Error fsync_dir(const std::string& path) {
    return wait<io::Error>([&](auto done) { fs_.fsync_dir(path, done); });
  }
  io::Error set_mtime(const std::string& path, std::int64_t mtime_ns) {
    return wait<io::Error>([&](auto done) { fs_.set_mtime(path, mtime_ns, done); });
  }
  io::Error set_mode(const std::string& path, std::uint32_t mode) {
    return wait<io::Error>([&](auto done) { fs_.set_mode(path, mode, done); });
  }

  // Creates (or truncates) path, writes text, closes; fsyncs the file if asked.
  io::Error write_file(const std::string& path, std::string_view text, bool sync) {
    io::OpenFlags flags = kCreate;
    flags.truncate = true;
    auto file = open(path, flags);
    if (!file) return file.error();
    auto written = write(*file, 0, text);
    if (!written) return written.error();
    if (sync) {
      if (const auto synced = fsync(*file); synced != io::Error::ok) return synced;
    }
    return close(*file);
  }

 private:
  // Starts the call with a callback, then runs the simulator until it completes.
  template <typename T, typename Start>
  T wait(Start start) {
    auto result = std::make_shared<std::optional<T>>();
    start([result](T value) { result->emplace(std::move(value)); });
    EXPECT_FALSE(result->has_value()) << "the call completed inside itself";
    scheduler_.run_until([&] { return result->has_value(); }, scheduler_.now_ns() + kCallBudgetNs);
    if (!result->has_value()) {
      ADD_FAILURE() << "the call never completed";
      return T(io::Error::timed_out);
    }
    return std::move(**result);
  }

  io::FileSystem& fs_;
  sim::Scheduler& scheduler_;
};

// A MemFs with its own trace and scheduler, and a Sync driving it.
struct Disk {
  explicit Disk(std::uint64_t seed = 1, MemFsOptions options = {})
      : scheduler(trace), fs(scheduler, io::Prng(seed), std::move(options)), sync(fs, scheduler) {}

  sim::Trace trace;
  sim::Scheduler scheduler;
  MemFs fs;
  Sync sync;
};

// Crash weights that make every unsynced change vanish, or survive.
inline MemFsOptions losing_everything_unsynced() {
  MemFsOptions options;
  options.crash_weights = CrashWeights{.keep = 0, .drop = 1, .tear = 0};
  return options;
}
inline MemFsOptions keeping_everything_unsynced() {
  MemFsOptions options;
  options.crash_weights = CrashWeights{.keep = 1, .drop = 0, .tear = 0};
  return options;
}

}  // namespace hamirror::fsim::testing
