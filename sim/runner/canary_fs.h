// Planted bugs in a node's disk stack, for proving that the runner's checks fail when
// they must (run.h, Canary). Test-only: built only by the runner, for node2, when a
// canary is asked for; nothing in runtime/ can reach it.
//
// - secondary_drops_writes: every 7th write into the replicated directory completes
//   "ok" with its full size but never reaches the disk (a lying controller, or a
//   secondary that acknowledges what it did not apply);
// - fsync_lies: fsync, fsync_dir and sync_file_system complete ok without making
//   anything durable, so a crash loses what the node said was safe.
#pragma once

#include <memory>
#include <string>

#include "io/filesystem.h"
#include "sim/runner/run.h"
#include "sim/scheduler.h"

namespace hamirror::sim::runner {

// The canaries make_canary_fs plants (the others live in the oracle or in runtime/core).
bool planted_in_the_disk(Canary canary);

std::unique_ptr<io::FileSystem> make_canary_fs(Canary canary, io::FileSystem& inner, Scheduler& scheduler,
                                               const std::string& replicated_root);

}  // namespace hamirror::sim::runner
