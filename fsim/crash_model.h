// What a power cut does to one file's unsynced changes.
//
// Each unsynced write or truncate, in the order issued, independently survives whole,
// vanishes, or (writes of two bytes or more) is torn: only a prefix of its bytes
// reaches the disk. So a later write may survive while an earlier one is lost, as
// with a real disk's writeback and reordering. Truncates survive or vanish. Changes
// that survive are applied to the durable data in order; a surviving write past the
// end of what survived before it zero-fills the gap (the file's size grew, the data
// in between did not arrive).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fsim/inode.h"
#include "io/bytes.h"
#include "io/random.h"

namespace hamirror::fsim {

// Relative odds of each fate; a fate with weight 0 never happens. keep + drop > 0.
struct CrashWeights {
  std::uint32_t keep = 1;
  std::uint32_t drop = 1;
  std::uint32_t tear = 1;
};

enum class CrashFate : std::uint8_t { kept, dropped, torn };

struct ChangeFate {
  CrashFate fate = CrashFate::kept;
  std::uint64_t bytes_kept = 0;  // writes: how many of the change's bytes reached disk
};

// Returns the file's contents after the power cut; fates gets one entry per change.
FileData settle_after_crash(const FileData& durable, std::span<const UnsyncedChange> changes,
                             const CrashWeights& weights, io::Prng& random, std::vector<ChangeFate>& fates);

}  // namespace hamirror::fsim
