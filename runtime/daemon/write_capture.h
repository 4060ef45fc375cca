// Write capture: what makes an application's writes into a replicated directory go
// through the core's synchronous replication. On Linux, one FUSE mount per replicated
// directory at the configured path, backed by this node's copy (write_capture_fuse.cpp,
// runtime/fuse); writable only while this node is ALONE or PRIM. Windows: the same
// over WinFsp (write_capture_winfsp.cpp, runtime/fuse_hl) when built with the WinFsp
// SDK, else none, said in the module log at start (write_capture_none.cpp).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/node/node.h"

namespace hamirror::daemon {

struct CaptureMount {
  std::string mount_point;  // where applications see the directory
  std::string backing_dir;  // this node's copy (core::NodeConfig::roots[directory])
  std::uint32_t directory = 0;
};

class WriteCapture {
 public:
  virtual ~WriteCapture() = default;  // unmounts; writes still waiting fail with EIO
  // Follows the node's state: true in ALONE and PRIM.
  virtual void set_writable(bool writable) = 0;
};

struct WriteCaptureResult {
  std::unique_ptr<WriteCapture> capture;  // null: `error` says why; nothing stays mounted
  std::string error;
};

// On the loop's thread. `log` gets one line per event (mounted, stale mount recovered).
WriteCaptureResult start_write_capture(uv_loop_t* loop, core::Node& node, const std::vector<CaptureMount>& mounts,
                                       const std::function<void(const std::string&)>& log);

}  // namespace hamirror::daemon
