// Windows: no write capture yet (a filter driver or a ProjFS/WinFsp frontend is later
// work). The node runs and replicates what the core API submits; nothing is mounted.
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
    log("write capture is not available on Windows yet: the replicated directories are not mounted, and "
        "applications must not write into them");
  }
  return {std::make_unique<NoWriteCapture>(), {}};
}

}  // namespace hamirror::daemon
