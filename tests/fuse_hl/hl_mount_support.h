// A high-level mount (fuse_hl::HlMount) of dirs.mnt() over dirs.primary(), mirrored
// into dirs.secondary() by the FUSE tests' MirrorSink, on a loop thread. Undone in the
// destructor, also after a failure (ScratchDirs detaches what is left).
#pragma once

#include "fuse_hl/hl_mount.h"
#include "tests/fuse/fuse_test_support.h"

namespace hamirror::test {

class HlMirroredMount {
 public:
  HlMirroredMount(const ScratchDirs& dirs, bool case_insensitive) : dirs_(dirs) {
    loop_.run([this, case_insensitive] {
      sink_ = std::make_unique<MirrorSink>(loop_.loop(), dirs_.primary().string(), dirs_.secondary().string());
      mount_ = std::make_unique<fuse_hl::HlMount>(
          loop_.loop(),
          fuse_hl::MountOptions{.mount_point = dirs_.mnt().string(), .backing_dir = dirs_.primary().string(),
                                .directory = 0, .case_insensitive = case_insensitive},
          *sink_, [this](const std::string& line) {
            std::lock_guard lock(log_mutex_);
            log_.push_back(line);
          });
    });
  }
  ~HlMirroredMount() {
    loop_.run([this] {
      mount_.reset();
      sink_.reset();
    });
    if (::testing::Test::HasFailure()) {
      std::lock_guard lock(log_mutex_);
      for (const auto& line : log_) std::printf("log: %s\n", line.c_str());
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
  std::size_t held_writes() {
    std::size_t count = 0;
    loop_.run([&] { count = sink_->held_.size(); });
    return count;
  }
  int ops_of(core::OpKind kind) {
    int count = 0;
    loop_.run([&] { count = sink_->ops_[kind]; });
    return count;
  }

 private:
  const ScratchDirs& dirs_;
  LoopThread loop_;
  std::unique_ptr<MirrorSink> sink_;
  std::unique_ptr<fuse_hl::HlMount> mount_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

}  // namespace hamirror::test
