#include <atomic>

#include "daemon/write_capture.h"
#include "fuse/fuse_mount.h"
#include "fuse/write_sink.h"

namespace hamirror::daemon {
namespace {

// The FUSE frontend's sink over the node: its writes go through Node::submit.
class NodeWriteSink final : public fuse::WriteSink {
 public:
  explicit NodeWriteSink(core::Node& node) : node_(node) {}

  io::Error submit(core::FileOp op, DoneFn done) override { return node_.submit(std::move(op), std::move(done)); }
  bool writable() const override { return writable_.load(std::memory_order_relaxed); }
  void set_writable(bool writable) { writable_.store(writable, std::memory_order_relaxed); }

 private:
  core::Node& node_;
  std::atomic<bool> writable_{false};  // read from FUSE's threads too
};

class FuseWriteCapture final : public WriteCapture {
 public:
  explicit FuseWriteCapture(core::Node& node) : sink_(node) {}
  ~FuseWriteCapture() override {
    for (auto& mount : mounts_) mount->stop();
  }

  std::string mount(uv_loop_t* loop, const CaptureMount& where, const std::function<void(const std::string&)>& log) {
    auto mount = std::make_unique<fuse::FuseMount>(loop, where.mount_point, where.backing_dir, where.directory, sink_, log);
    if (auto error = mount->start(); !error.empty()) return error;
    log("replicated directory " + where.mount_point + " mounted (this node's copy: " + where.backing_dir + ")");
    mounts_.push_back(std::move(mount));
    return {};
  }
  void set_writable(bool writable) override { sink_.set_writable(writable); }

 private:
  NodeWriteSink sink_;  // before the mounts, which use it until they stop
  std::vector<std::unique_ptr<fuse::FuseMount>> mounts_;
};

}  // namespace

WriteCaptureResult start_write_capture(uv_loop_t* loop, core::Node& node, const std::vector<CaptureMount>& mounts,
                                       const std::function<void(const std::string&)>& log) {
  auto capture = std::make_unique<FuseWriteCapture>(node);
  for (const auto& where : mounts) {
    if (auto error = capture->mount(loop, where, log); !error.empty()) return {nullptr, error};
  }
  return {std::move(capture), {}};
}

}  // namespace hamirror::daemon
