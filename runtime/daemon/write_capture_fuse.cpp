#include "daemon/write_capture.h"
#include "daemon/write_capture_node_sink.h"
#include "fuse/fuse_mount.h"

namespace hamirror::daemon {
namespace {

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
