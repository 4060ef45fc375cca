// Windows with WinFsp: one mount per replicated directory at the configured folder,
// over the FUSE 3 high-level frontend (runtime/fuse_hl), names without regard to case as
// on NTFS. Built only with the WinFsp SDK (WINFSP_DIR); else write_capture_none.cpp.
#include "daemon/write_capture.h"
#include "daemon/write_capture_node_sink.h"
#include "fuse_hl/hl_mount.h"

namespace hamirror::daemon {
namespace {

class WinFspWriteCapture final : public WriteCapture {
 public:
  explicit WinFspWriteCapture(core::Node& node) : sink_(node) {}
  ~WinFspWriteCapture() override {
    for (auto& mount : mounts_) mount->stop();
  }

  std::string mount(uv_loop_t* loop, const CaptureMount& where, const std::function<void(const std::string&)>& log) {
    auto mount = std::make_unique<fuse_hl::HlMount>(
        loop,
        fuse_hl::MountOptions{.mount_point = where.mount_point, .backing_dir = where.backing_dir,
                              .directory = where.directory, .case_insensitive = true},
        sink_, log);
    if (auto error = mount->start(); !error.empty()) return error;
    log("replicated directory " + where.mount_point + " mounted with WinFsp (this node's copy: " + where.backing_dir + ")");
    mounts_.push_back(std::move(mount));
    return {};
  }
  void set_writable(bool writable) override { sink_.set_writable(writable); }

 private:
  NodeWriteSink sink_;  // before the mounts, which use it until they stop
  std::vector<std::unique_ptr<fuse_hl::HlMount>> mounts_;
};

}  // namespace

WriteCaptureResult start_write_capture(uv_loop_t* loop, core::Node& node, const std::vector<CaptureMount>& mounts,
                                       const std::function<void(const std::string&)>& log) {
  auto capture = std::make_unique<WinFspWriteCapture>(node);
  for (const auto& where : mounts) {
    if (auto error = capture->mount(loop, where, log); !error.empty()) return {nullptr, error};
  }
  return {std::move(capture), {}};
}

}  // namespace hamirror::daemon
