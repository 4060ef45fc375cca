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

struct ResyncFileRanges {
  std::uint32_t directory = 0;
  std::string path;              // relative, '/'-separated
  bool whole_file = false;       // send the whole file (the record lost track of it)
  std::vector<ByteRange> ranges;  // ignored when whole_file
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
