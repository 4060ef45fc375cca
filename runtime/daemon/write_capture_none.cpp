// Windows built without the WinFsp SDK: no write capture. The node runs the cluster
// (heartbeats, roles, failover, virtual IP, scripts) and replicates what the core API
// submits; nothing is mounted, and the module log says so at every start, naming the
// directories, since data written there would exist on this server only.
#include "daemon/write_capture.h"

namespace hamirror::daemon {
namespace {

class NoWriteCapture final : public WriteCapture {
 public:
  void set_writable(bool) override {}
};

}  // namespace

WriteCaptureResult start_write_capture(uv_loop_t*, core::Node&, const std::vector<CaptureMount>& mounts,
                                       const std::function<void(const std::string&)>& log) {
  if (!mounts.empty()) {
    std::string folders;
    for (const auto& mount : mounts) folders += (folders.empty() ? "" : ", ") + mount.mount_point;
    log("WARNING: this hamirrord was built without WinFsp, so the replicated directories (" + folders +
        ") are NOT captured: what applications write there is not replicated to the peer. Use a build made with the "
        "WinFsp SDK (docs/WINDOWS-CAPTURE.md)");
  }
  return {std::make_unique<NoWriteCapture>(), {}};
}

}  // namespace hamirror::daemon
