// The FUSE 3 high-level (path-based) API under the names the frontend uses: on Linux,
// libfuse3 (3.14). winfsp/hl_api.h gives the same names over WinFsp's FUSE 3
// compatibility layer; CMake puts one folder or the other on the include path.
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <cstdint>

namespace hamirror::fuse_hl::api {

using Operations = fuse_operations;
using FileInfo = fuse_file_info;
using ConnInfo = fuse_conn_info;
using Config = fuse_config;
using Stat = struct stat;
using StatVfs = struct statvfs;
using Offset = off_t;
using Mode = mode_t;
using Dev = dev_t;
using Uid = uid_t;
using Gid = gid_t;
using Timespec = struct timespec;
using FillDir = fuse_fill_dir_t;
using ReaddirFlags = fuse_readdir_flags;

inline constexpr long kTimeNow = UTIME_NOW;
inline constexpr long kTimeOmit = UTIME_OMIT;

inline void* private_data() { return fuse_get_context()->private_data; }
// The calling process's umask (FUSE passes it with each request).
inline Mode caller_umask() { return fuse_get_context()->umask; }
inline std::int64_t mtime_ns(const Stat& attributes) {
  return static_cast<std::int64_t>(attributes.st_mtim.tv_sec) * 1'000'000'000 + attributes.st_mtim.tv_nsec;
}
// Linux has no such capability: the frontend folds names itself (path_frontend.h).
inline void declare_case_insensitive(ConnInfo*) {}

}  // namespace hamirror::fuse_hl::api
