#include <malloc.h>

#include <csignal>

#include "platform/platform.h"

namespace hamirror::platform {
namespace {

// glibc serves blocks above its mmap threshold (128 KiB at start) with a fresh mmap
// and returns them on free: every 1 MiB replication or reintegration buffer then costs
// 256 page faults and the zeroing of fresh pages, the largest part of the daemon's CPU
// in a full reintegration (perf). Kept in the heap instead, they are reused; the trim
// threshold bounds what the heap keeps once the load is gone. At 8 MiB the heap was
// still trimmed and regrown under a full reintegration's window of 1 MiB messages
// (~15 % of the source's CPU in page faults, perf); at 64 MiB it is not, for ~8 MiB
// more RSS after such a load (issue 6, branch reint3).
constexpr int kMmapThresholdBytes = 4 << 20;  // above kMaxResyncDataBytes and a 1 MiB frame
constexpr int kTrimThresholdBytes = 64 << 20;

}  // namespace

void prepare_process_for_io() {
  std::signal(SIGPIPE, SIG_IGN);
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes);
}

void release_free_memory() { malloc_trim(0); }

}  // namespace hamirror::platform
