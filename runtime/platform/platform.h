// What libuv does not offer, implemented once per OS: posix/ or win/, chosen by CMake.
//
// Every function here BLOCKS (it may run a program, talk to the service manager or
// wait for a disk flush). The libuv backend calls them from libuv's thread pool and
// reports the result on the loop; nothing else calls them. Errors come back as
// io::Error values; a detail string, when given, says what the OS answered.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/filesystem.h"
#include "io/log_severity.h"
#include "io/process.h"
#include "io/virtual_ip.h"

namespace hamirror::platform {

// Process-wide settings the I/O backend needs, applied once before the loop runs.
// POSIX: ignore SIGPIPE, so a write to a connection the peer reset fails with EPIPE
// instead of killing the daemon; keep large buffers in the heap (see posix/). Windows:
// nothing to do.
void prepare_process_for_io();

// Gives the memory the heap holds free back to the OS. POSIX: malloc_trim(0) — with the
// trim threshold prepare_process_for_io() sets, a heap that held a reintegration's or a
// burst's window of 1 MiB buffers kept them after the load (a primary: ~42 MiB after a
// full reintegration of 1 GiB, ~26 MiB once trimmed, ~12 MiB idle before; what stays is
// the top of each worker thread's arena, which malloc_trim does not shrink). Windows:
// nothing (its heap decommits large free blocks itself). The daemon calls it now and
// then, on the thread pool.
void release_free_memory();

// Bounds how long the kernel keeps a TCP connection whose peer went silent
// (io::kStreamBreakTimeoutMs): data unacknowledged for give_up_ms ends it (Linux
// TCP_USER_TIMEOUT, Windows TCP_MAXRT, in whole seconds), and keepalive probes an idle
// one every second (Linux TCP_KEEPINTVL; Windows' default). Without it a secondary
// that lost power held the primary's writes for the kernel's own limits: about 15
// minutes of retransmissions on Linux. `socket`: the descriptor (POSIX) or SOCKET
// (Windows). Does not block.
io::Error bound_tcp_silence(std::uintptr_t socket, std::int64_t give_up_ms);

// Running processes whose executable name equals `name` (Linux: /proc/<pid>/comm or
// the basename of /proc/<pid>/exe; Windows: Toolhelp32, case-insensitive, ".exe"
// optional in `name`).
io::Result<std::vector<io::ProcessInfo>> list_processes_by_name(const std::string& name);

// rename() that is durable when it returns on Windows (MoveFileExW with
// MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH); plain rename(2) on POSIX, where
// durability comes from fsync_directory() on the parent.
io::Error durable_rename(const std::string& from, const std::string& to);

// Makes a directory's entries durable: open + fsync(2) on POSIX; on Windows a
// FlushFileBuffers on the directory handle (FILE_FLAG_BACKUP_SEMANTICS).
io::Error fsync_directory(const std::string& path);

// Makes everything written on the file system that holds `path` durable, whoever
// wrote it: syncfs(2) on Linux (which reports writeback errors since 5.8). Windows
// flushes a whole volume only for an administrator's volume handle: not_supported.
io::Error sync_file_system(const std::string& path);

// Asks the OS to start reading these ranges of the file into its cache, without
// waiting for them (POSIX posix_fadvise POSIX_FADV_WILLNEED: the kernel queues the
// reads and returns). Best effort: a file that cannot be opened is skipped. Windows
// has no such call for a file's ranges: nothing is done there.
void advise_will_read(const std::string& path, const std::vector<io::FileRange>& ranges);

// OS services: systemd units through systemctl on Linux, the Service Control Manager
// on Windows. start/stop wait up to timeout_ms for the target state.
io::Error service_start(const std::string& name, std::int64_t timeout_ms, std::string* detail);
io::Error service_stop(const std::string& name, std::int64_t timeout_ms, std::string* detail);
io::Result<io::ServiceState> service_query(const std::string& name, std::string* detail);

// The virtual IP: Linux `ip addr add/del` plus a gratuitous ARP (arping -U when
// installed); Windows IP Helper AddIPAddress/DeleteIPAddress on the interface that
// holds an address in the VIP's subnet. Idempotent, as io::VirtualIp requires.
//
// The announcement may end after vip_add returned (Linux: arping runs on a thread of
// its own): its result goes to `announced`, called once on that thread, or to stderr
// when empty. Windows announces the address itself: `announced` is never called there.
using AnnouncementFn = std::function<void(io::Severity severity, const std::string& line)>;
io::Error vip_add(const io::VipSpec& vip, std::string* detail, AnnouncementFn announced = {});
io::Error vip_remove(const io::VipSpec& vip, std::string* detail);
io::Result<bool> vip_held(const io::VipSpec& vip, std::string* detail);

}  // namespace hamirror::platform
