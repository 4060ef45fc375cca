// What fast reintegration must send, as the node hands it to ReintegrationSource.
// The activity record (runtime/core/activity) produces its own plan; the node
// converts it to this small input, so the two areas do not depend on each other.
//
// Namespace changes are given as the directories whose entries changed while the
// secondary was away: a create or delete names the parent of the entry, a rename
// both parents. The source lists each, the target makes its entries the same, and
// entries the target lacked are then sent whole (recursively for directories).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hamirror::core {

struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

// "Nothing is stale past the ranges" (ResyncFileRanges::stale_from).
constexpr std::uint64_t kNothingStale = UINT64_MAX;

struct ResyncFileRanges {
  std::uint32_t directory = 0;
  std::string path;  // relative, '/'-separated
  // The target's bytes from here on are all stale (the file was truncated, or its
  // name unlinked, renamed away or created again, or the record lost track of it): every
  // byte from here to the file's end is sent, up to the end the file has when it is
  // read, not when the plan was made. A live op that extends the file before that read
  // reaches the target first and would otherwise uncover its old bytes (seed 96453).
  // 0: the whole file.
  std::uint64_t stale_from = kNothingStale;
  std::vector<ByteRange> ranges;  // below stale_from, sorted and disjoint
};

struct ResyncDirectory {
  std::uint32_t directory = 0;
  std::string path;  // "" is the replicated directory's root
};

struct FastResyncInput {
  std::vector<ResyncDirectory> changed_directories;
  std::vector<ResyncFileRanges> files;
};

}  // namespace hamirror::core
