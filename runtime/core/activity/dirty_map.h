// The fine level of the activity record: what changed on this copy since a point, at
// block granularity (default 4 KiB), plus the names whose directory entries changed.
// A primary keeps one while ALONE (every op it applies is marked); the activity log
// turns its active extents into one after a crash (see activity_log.h); the resync
// plan is built from one (resync_plan.h). It is pure data: no I/O.
//
// What a mark means — the receiver of a fast reintegration starts from the copy both
// nodes shared at the point, and the plan must turn it into the sender's copy:
//
// - ranges: blocks whose bytes may differ; the sender sends its current bytes there.
//   A range may run to the end of the file (kToEndOfFile).
// - cut_bytes: the sender truncated the file to this size (the smallest such size):
//   every byte it holds at or past the cut was written since (so lies in a range) or
//   is zero. The receiver truncates its copy to the cut first; the zeros then come
//   from extending the file to the sender's size, for free. Unlink, rmdir and a
//   rename away set a cut of 0: whatever later appears under that name starts empty.
// - name_changed: the entry itself (exists, file or directory, mtime) may differ; the
//   receiver makes it match the sender's.
// - whole: the receiver's entry is unrelated to the sender's (a rename target, a name
//   whose fate a crash left unknown): the sender sends all of it, a directory's whole
//   subtree included. Renames cost their file's (or subtree's) size: a later version
//   may teach the plan to move the receiver's copy instead.
//
// Marks only ever grow (nothing is dropped when a file is unlinked, truncated or
// renamed): a union of maps, in any order, is then still right, so the maps of two
// nodes and the marks of ops still in flight can be merged without caring about the
// order in which their ops ran. Data of a file that no longer exists costs nothing:
// the plan removes it on the receiver.
//
// Memory is bounded: ranges, not one bit per block (a file with too many ranges has
// them coarsened, merging neighbours), and past the map-wide bounds the map gives up
// and says "everything" — a full resync, which is the safe answer.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/activity/record_codec.h"
#include "core/replication/file_op.h"
#include "io/bytes.h"
#include "io/error.h"

namespace hamirror::core {

constexpr std::uint64_t kDefaultBlockBytes = 4096;
constexpr std::uint64_t kMinBlockBytes = 512;
constexpr std::uint64_t kMaxBlockBytes = 1024 * 1024;
// The end of a range that runs to the end of the file, and "no cut".
constexpr std::uint64_t kToEndOfFile = UINT64_MAX;
constexpr std::uint64_t kNoCut = UINT64_MAX;

// Bounds on one map; past any of them the map becomes "everything". About 40 MiB of
// state at worst, and as much serialized.
constexpr std::size_t kMaxDirtyEntries = std::size_t{1} << 18;
constexpr std::size_t kMaxDirtyRanges = std::size_t{1} << 20;
constexpr std::size_t kMaxDirtyPathBytes = std::size_t{16} << 20;
// One file with more ranges than this has them coarsened (see dirty_map.cpp) down to
// half as many: a few more bytes to send, never fewer.
constexpr std::size_t kMaxRangesPerEntry = std::size_t{1} << 14;

// False for the errors every backend reports before changing anything (not_found,
// already_exists, not_empty, ...): an op that failed so changed nothing.
bool may_have_changed(io::Error result);

// A file or directory in one replicated directory, by its name. Names, not stable
// file ids: renames are recorded as name changes (see above), which is also what a
// receiver whose copy has no ids of ours can act on.
struct FileKey {
  std::uint32_t directory = 0;
  std::string path;  // relative, '/'-separated, as in FileOp
  friend auto operator<=>(const FileKey&, const FileKey&) = default;
  friend bool operator==(const FileKey&, const FileKey&) = default;
};

// Blocks [first_block, end_block); end_block may be kToEndOfFile.
struct BlockRange {
  std::uint64_t first_block = 0;
  std::uint64_t end_block = 0;
  friend bool operator==(const BlockRange&, const BlockRange&) = default;
};

struct DirtyEntry {
  std::vector<BlockRange> ranges;  // sorted, disjoint, never touching
  std::uint64_t cut_bytes = kNoCut;
  bool name_changed = false;
  bool whole = false;
  friend bool operator==(const DirtyEntry&, const DirtyEntry&) = default;
};

class DirtyMap {
 public:
  // block_bytes: a power of two in [kMinBlockBytes, kMaxBlockBytes].
  explicit DirtyMap(std::uint64_t block_bytes = kDefaultBlockBytes);

  std::uint64_t block_bytes() const { return block_bytes_; }

  // What op did to this copy, given its local result: a failed op is marked for
  // whatever part of it may still have happened (see the table in dirty_map.cpp).
  void mark(const FileOp& op, io::Error result);

  // The blocks holding bytes [offset, offset + size_bytes).
  void mark_bytes(const FileKey& key, std::uint64_t offset, std::uint64_t size_bytes);
  // The blocks from the one holding offset to the end of the file.
  void mark_from(const FileKey& key, std::uint64_t offset);
  void mark_blocks(const FileKey& key, BlockRange range);
  void mark_cut(const FileKey& key, std::uint64_t size_bytes);
  void mark_name(const FileKey& key, bool whole);
  // Everything is dirty: a lost or damaged record, or a bound exceeded.
  void mark_everything();

  // A cut says the sender's copy holds zeros or newly written bytes past it; that is
  // only true of the live copy whose ops made the marks. After that copy crashed, its
  // truncates, unlinks and renames may not have reached its disk: each cut becomes
  // "send everything from the cut on" (a cut at 0: the name is sent whole, a
  // directory with its whole subtree). Applied to every map read back from disk.
  void distrust_cuts();

  // The union of both maps; other may use another block size (its ranges are rounded
  // out to this map's blocks).
  void merge(const DirtyMap& other);
  void clear();

  bool everything() const { return everything_; }
  bool empty() const { return !everything_ && entries_.empty(); }
  // In (directory, path) order: a parent comes before everything under it.
  const std::map<FileKey, DirtyEntry>& entries() const { return entries_; }
  const DirtyEntry* find(const FileKey& key) const;
  std::size_t range_count() const { return range_count_; }
  // The bytes of the ranges that end before the end of file: an upper bound on what
  // they will send before clipping to the files' sizes.
  std::uint64_t bounded_dirty_bytes() const;

  // The record's body (see record_codec.h for the envelope the store puts around it).
  void serialize(RecordWriter& out) const;
  // nullopt with why when the bytes are not a map this code wrote.
  static std::optional<DirtyMap> parse(RecordReader& in, std::string& why);

  friend bool operator==(const DirtyMap&, const DirtyMap&) = default;

 private:
  DirtyEntry* entry_for(const FileKey& key);
  void add_range(DirtyEntry& entry, BlockRange range);
  void coarsen(DirtyEntry& entry);

  std::uint64_t block_bytes_;
  bool everything_ = false;
  std::map<FileKey, DirtyEntry> entries_;
  std::size_t range_count_ = 0;
  std::size_t path_bytes_ = 0;
};

}  // namespace hamirror::core
