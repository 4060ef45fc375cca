// The FUSE 3 high-level (path-based) API under the names the frontend uses: on Windows,
// WinFsp's FUSE 3 compatibility layer (<fuse3/fuse.h> from the WinFsp SDK, found through
// WINFSP_DIR; not part of this repository). Same names as linux/hl_api.h.
#pragma once

#define FUSE_USE_VERSION 32
#include <fuse3/fuse.h>

#include <cstdint>

namespace hamirror::fuse_hl::api {

using Operations = fuse3_operations;
using FileInfo = fuse3_file_info;
using ConnInfo = fuse3_conn_info;
using Config = fuse3_config;
using Stat = struct fuse_stat;
using StatVfs = struct fuse_statvfs;
using Offset = fuse_off_t;
using Mode = fuse_mode_t;
using Dev = fuse_dev_t;
using Uid = fuse_uid_t;
using Gid = fuse_gid_t;
using Timespec = struct fuse_timespec;
using FillDir = fuse3_fill_dir_t;
using ReaddirFlags = fuse3_readdir_flags;

// WinFsp passes real times to utimens (SetFileTime with a zero FILETIME leaves a time as
// it is before it reaches FUSE): values no tv_nsec can hold.
inline constexpr long kTimeNow = -1;
inline constexpr long kTimeOmit = -2;

inline void* private_data() { return fuse3_get_context()->private_data; }
// The calling process's umask (FUSE passes it with each request).
inline Mode caller_umask() { return fuse3_get_context()->umask; }
inline std::int64_t mtime_ns(const Stat& attributes) {
  return static_cast<std::int64_t>(attributes.st_mtim.tv_sec) * 1'000'000'000 + attributes.st_mtim.tv_nsec;
}
// WinFsp then treats the volume as case-insensitive (as NTFS): "A.TXT" and "a.txt" name
// one file; the frontend also reports paths in their stored case (path_frontend.h).
inline void declare_case_insensitive(ConnInfo* conn) { conn->want |= FSP_FUSE_CAP_CASE_INSENSITIVE; }

}  // namespace hamirror::fuse_hl::api
