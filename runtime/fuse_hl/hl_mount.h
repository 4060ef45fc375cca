// Write capture for one replicated directory over the FUSE 3 high-level API: a mount
// at the path the user configured, backed by this node's copy, whose changes go
// through a WriteSink (the core's synchronous replication) before the application sees
// success. Same contract as fuse::FuseMount (runtime/fuse/fuse_mount.h):
//
//   HlMount mount(loop, {.mount_point = "C:\\appdata", .backing_dir = ..., .directory = 0,
//                        .case_insensitive = true}, sink, log);
//   if (std::string error = mount.start(); !error.empty()) ...;  // mounted
//   mount.stop();  // or let the destructor do it
//
// Threads: construct, start(), stop() and destroy on the loop's thread. FUSE's callbacks
// run on FUSE's thread(s) (one on Linux, WinFsp's pool on Windows) and wait there for
// the loop to replicate each change; sink.submit() runs on the loop only. log runs on
// the loop thread only.
//
// Platform glue: linux/hl_mount_linux.cpp (libfuse3; used by the tests) and
// winfsp/hl_mount_winfsp.cpp (WinFsp; built only with the WinFsp SDK, WINFSP_DIR).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "fuse/write_sink.h"

namespace hamirror::fuse_hl {

struct MountOptions {
  std::string mount_point;  // Linux: an existing directory; Windows: must not exist (WinFsp creates it)
  std::string backing_dir;  // this node's copy (NodeConfig.roots[directory])
  std::uint32_t directory = 0;
  bool case_insensitive = false;  // Windows: true
};

class HlMount {
 public:
  using LogFn = std::function<void(const std::string&)>;

  HlMount(uv_loop_t* loop, MountOptions options, fuse::WriteSink& sink, LogFn log);
  ~HlMount();  // stop()
  HlMount(const HlMount&) = delete;
  HlMount& operator=(const HlMount&) = delete;

  // Mounts and starts serving. "" on success, else why not (what failed, which path,
  // what to do); nothing is left mounted then.
  std::string start();
  // Stops serving and unmounts. Changes waiting for the sink fail with EIO. Idempotent.
  void stop();
  bool mounted() const;

  struct Impl;  // per platform

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hamirror::fuse_hl
