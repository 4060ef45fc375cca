// Scaffolding for the FUSE integration tests: temporary directories, a mount of one
// over a MirrorSink on a loop thread, file helpers, and the byte-for-byte comparison of
// the two copies. Everything is undone in the destructor, also after a failure.
#pragma once

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fuse/fuse_mount.h"
#include "tests/fuse/loop_thread.h"
#include "tests/fuse/mirror_sink.h"
#include "tests/skip_or_fail.h"

namespace hamirror::test {

// Why FUSE tests cannot run here, or "".
inline std::string fuse_unavailable() {
  if (::geteuid() != 0) return "needs root (mounting FUSE file systems)";
  if (::access("/dev/fuse", R_OK | W_OK) != 0) return "needs /dev/fuse";
  return "";
}

#define SKIP_WITHOUT_FUSE()                                                    \
  do {                                                                         \
    if (const std::string why = ::hamirror::test::fuse_unavailable(); !why.empty()) HM_SKIP_OR_FAIL_UNDER_CI(why); \
  } while (false)

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Relative path -> "dir" or the file's bytes, for every entry under root. Entries that
// vanish while it looks (an unlink being applied) are left out, never an exception.
// Each entry's kind, permission bits (replicated too) and, for files, contents.
inline std::map<std::string, std::string> snapshot(const std::filesystem::path& root) {
  std::map<std::string, std::string> entries;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(root, error), end; !error && it != end; it.increment(error)) {
    const std::string relative = std::filesystem::relative(it->path(), root, error).string();
    const auto mode = static_cast<unsigned>(it->symlink_status(error).permissions());
    const std::string kind = it->is_directory(error) ? std::string("dir") : "file:" + read_file(it->path());
    entries[relative] = kind + " mode " + std::to_string(mode);
  }
  return entries;
}

// Polls condition until it holds or deadline_ms passed (FUSE's release is
// asynchronous: close(2) returns before it arrives).
inline bool eventually(const std::function<bool()>& condition, int deadline_ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class ScratchDirs {
 public:
  ScratchDirs() {
    std::random_device random;  // test scaffolding only: a unique scratch directory
    root_ = std::filesystem::temp_directory_path() / ("hamirror-fuse-" + std::to_string(random()));
    for (const char* name : {"mnt", "primary", "secondary"}) std::filesystem::create_directories(root_ / name);
  }
  // Mounts a failed test left behind (a killed child's) are detached first.
  ~ScratchDirs() {
    std::ifstream mounts("/proc/self/mounts");
    std::string device;
    std::string mount_point;
    std::string rest;
    while (mounts >> device >> mount_point && std::getline(mounts, rest)) {
      if (mount_point.rfind(root_.string() + "/", 0) == 0) ::umount2(mount_point.c_str(), MNT_DETACH);
    }
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }
  // A new directory under the scratch root.
  std::filesystem::path path(const std::string& relative) const {
    std::filesystem::create_directories(root_ / relative);
    return root_ / relative;
  }
  std::filesystem::path mnt() const { return root_ / "mnt"; }
  std::filesystem::path primary() const { return root_ / "primary"; }
  std::filesystem::path secondary() const { return root_ / "secondary"; }

 private:
  std::filesystem::path root_;
};

// A mount of dirs.mnt() over dirs.primary(), mirrored into dirs.secondary().
class MirroredMount {
 public:
  explicit MirroredMount(const ScratchDirs& dirs) : dirs_(dirs) {
    loop_.run([this] {
      sink_ = std::make_unique<MirrorSink>(loop_.loop(), dirs_.primary().string(), dirs_.secondary().string());
      mount_ = std::make_unique<fuse::FuseMount>(loop_.loop(), dirs_.mnt().string(), dirs_.primary().string(), 0,
                                                 *sink_, [this](const std::string& line) {
                                                   std::lock_guard lock(log_mutex_);
                                                   log_.push_back(line);
                                                 });
    });
  }
  ~MirroredMount() {
    loop_.run([this] {
      mount_.reset();
      sink_.reset();
    });
    if (::testing::Test::HasFailure()) {
      for (const auto& line : log()) std::printf("log: %s\n", line.c_str());
    }
  }

  // "" once mounted (checked: the mount point is on another device than its parent).
  std::string start() {
    std::string result;
    loop_.run([&] { result = mount_->start(); });
    if (!result.empty()) return result;
    struct stat mnt {};
    struct stat parent {};
    if (::stat(dirs_.mnt().c_str(), &mnt) != 0 || ::stat(dirs_.mnt().parent_path().c_str(), &parent) != 0 ||
        mnt.st_dev == parent.st_dev) {
      return "start() said ok but nothing is mounted on " + dirs_.mnt().string();
    }
    return "";
  }
  void stop() {
    loop_.run([&] { mount_->stop(); });
  }
  MirrorSink& sink() { return *sink_; }
  // Reads loop-thread state of the sink.
  template <typename T>
  T on_loop(const std::function<T()>& read) {
    T value{};
    loop_.run([&] { value = read(); });
    return value;
  }
  std::vector<std::string> log() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }

 private:
  const ScratchDirs& dirs_;
  LoopThread loop_;
  std::unique_ptr<MirrorSink> sink_;
  std::unique_ptr<fuse::FuseMount> mount_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

}  // namespace hamirror::test
