#include "sim/runner/canary_fs.h"

#include <map>
#include <utility>

#include "fsim/fs_wrapper.h"
#include "io/assert.h"

namespace hamirror::sim::runner {

namespace {

constexpr std::uint64_t kDropEvery = 7;

class DropWritesFs final : public fsim::FileSystemWrapper {
 public:
  DropWritesFs(io::FileSystem& inner, Scheduler& scheduler, std::string root)
      : FileSystemWrapper(inner), scheduler_(scheduler), root_(std::move(root) + "/"), alive_(std::make_shared<char>(0)) {}

  void open(const std::string& path, io::OpenFlags flags, OpenFn done) override {
    const bool replicated = path.starts_with(root_);
    inner().open(path, flags, [this, alive = std::weak_ptr<char>(alive_), replicated, done = std::move(done)](
                                  io::Result<io::FileHandle> file) mutable {
      if (!alive.expired() && file.ok() && replicated) replicated_handles_[file.value().value] = true;
      done(std::move(file));
    });
  }
  void close(io::FileHandle file, DoneFn done) override {
    replicated_handles_.erase(file.value);
    inner().close(file, std::move(done));
  }
  void write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) override {
    if (drop(file, bytes.size(), done)) return;
    inner().write(file, offset, bytes, std::move(done));
  }
  void write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes, WriteFn done) override {
    if (drop(file, bytes.size(), done)) return;
    inner().write_shared(file, offset, std::move(bytes), std::move(done));
  }

 private:
  // Whether this write is one to drop (then its completion is scheduled here).
  bool drop(io::FileHandle file, std::uint64_t size, WriteFn& done) {
    if (!replicated_handles_.contains(file.value) || ++writes_ % kDropEvery != 0) return false;
    scheduler_.trace().record(scheduler_.now_ns(), "canary", "write dropped");
    scheduler_.after(0, [alive = std::weak_ptr<char>(alive_), size, done = std::move(done)]() mutable {
      if (!alive.expired()) done(io::Result<std::uint64_t>(size));
    });
    return true;
  }

  Scheduler& scheduler_;
  std::string root_;
  std::map<std::uint64_t, bool> replicated_handles_;
  std::uint64_t writes_ = 0;
  std::shared_ptr<char> alive_;
};

class LyingFsyncFs final : public fsim::FileSystemWrapper {
 public:
  LyingFsyncFs(io::FileSystem& inner, Scheduler& scheduler)
      : FileSystemWrapper(inner), scheduler_(scheduler), alive_(std::make_shared<char>(0)) {}

  void fsync(io::FileHandle, DoneFn done) override { lie(std::move(done)); }
  void fsync_dir(const std::string&, DoneFn done) override { lie(std::move(done)); }
  void sync_file_system(const std::string&, DoneFn done) override { lie(std::move(done)); }

 private:
  void lie(DoneFn done) {
    scheduler_.after(0, [alive = std::weak_ptr<char>(alive_), done = std::move(done)]() mutable {
      if (!alive.expired()) done(io::Error::ok);
    });
  }
  Scheduler& scheduler_;
  std::shared_ptr<char> alive_;
};

}  // namespace

bool planted_in_the_disk(Canary canary) { return canary == Canary::secondary_drops_writes || canary == Canary::fsync_lies; }

std::unique_ptr<io::FileSystem> make_canary_fs(Canary canary, io::FileSystem& inner, Scheduler& scheduler,
                                               const std::string& replicated_root) {
  switch (canary) {
    case Canary::secondary_drops_writes: return std::make_unique<DropWritesFs>(inner, scheduler, replicated_root);
    case Canary::fsync_lies: return std::make_unique<LyingFsyncFs>(inner, scheduler);
    default: break;
  }
  HM_ASSERT(false);
  return nullptr;
}

}  // namespace hamirror::sim::runner
