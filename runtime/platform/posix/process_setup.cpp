#include <malloc.h>

#include <csignal>

#include "platform/platform.h"

namespace hamirror::platform {
namespace {

// glibc serves blocks above its mmap threshold (128 KiB at start) with a fresh mmap
// and returns them on free: every 1 MiB replication or reintegration buffer then costs
// 256 page faults and the zeroing of fresh pages, the largest part of the daemon's CPU
// in a full reintegration (perf). Kept in the heap instead, they are reused; the trim
// threshold bounds what the heap keeps under load. At 8 MiB the heap was still trimmed
// and regrown under a full reintegration's window of 1 MiB messages (~15 % of the
// source's CPU in page faults, perf); at 64 MiB it is not (issue 6, branch reint3).
// But a secondary under a stream of 1 MiB writes holds up to the primary's 64 MiB
// window, and at 64 MiB its heap was still trimmed and regrown (57 brk calls in 2 s;
// 66,000 page faults per 512 MiB, the largest part of its event loop's CPU); at 256
// MiB, 17,000, and the stream went from 261-295 to 334-356 MB/s (four alternating
// pairs). What the heap keeps once the load is gone is given back by
// release_free_memory(), which the daemon calls every 10 s.
constexpr int kMmapThresholdBytes = 4 << 20;  // above kMaxResyncDataBytes and a 1 MiB frame
constexpr int kTrimThresholdBytes = 256 << 20;

}  // namespace

void prepare_process_for_io() {
  std::signal(SIGPIPE, SIG_IGN);
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  mallopt(M_TRIM_THRESHOLD, kTrimThresholdBytes);
}

void release_free_memory() { malloc_trim(0); }

}  // namespace hamirror::platform
