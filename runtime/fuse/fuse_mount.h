// Write capture for one replicated directory (Linux): a FUSE mount at the path the user
// configured, backed by this node's copy, whose changes go through a WriteSink (the
// core's synchronous replication) before the application sees success.
//
//   FuseMount mount(loop, "/srv/data", "/var/lib/hamirror/data/0", 0, sink, log);
//   if (std::string error = mount.start(); !error.empty()) ...;  // mounted
//   ...
//   mount.stop();  // or let the destructor do it
//
// Construction: the libuv loop the sink lives on; the mount point (an existing
// directory); the backing directory (this node's copy, NodeConfig.roots[directory]);
// the replicated directory's index (FileOp.directory); the sink; a log function for
// one-line messages.
//
// Threads: construct, start(), stop() and destroy on the loop's thread (start() makes a
// few quick blocking calls: stat, mount(2), and umount2 for a stale mount). FUSE's
// requests are read on a thread of the mount's own; reads, lookups, getattr, readdir
// and open are answered there from the backing directory. Each change is handed to the
// loop, which alone calls sink.submit(); it is answered once done(result) ran.
// sink.writable() is called from both threads. log runs on the loop thread only.
//
// Behaviour: see fuse_requests.h (what each request does), hidden_area.h (open files
// that are unlinked), errno_map.h (errors), and README.md in this folder.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "fuse/write_sink.h"

namespace hamirror::fuse {

class FuseMount {
 public:
  using LogFn = std::function<void(const std::string&)>;

  FuseMount(uv_loop_t* loop, std::string mount_point, std::string backing_dir, std::uint32_t directory,
            WriteSink& sink, LogFn log);
  ~FuseMount();  // stop()
  FuseMount(const FuseMount&) = delete;
  FuseMount& operator=(const FuseMount&) = delete;

  // Mounts and starts serving. "" on success, else why not (what failed, which path,
  // what to do); nothing is left mounted then. A stale mount at the mount point (a
  // crashed daemon's) is lazily unmounted first and logged.
  std::string start();
  // Stops serving and unmounts (lazily: a process with a file still open there gets
  // ENOTCONN). Changes waiting for the sink are answered EIO. Idempotent.
  void stop();
  bool mounted() const;
  const std::string& mount_point() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hamirror::fuse
