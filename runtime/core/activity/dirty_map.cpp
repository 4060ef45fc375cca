#include "core/activity/dirty_map.h"

#include <algorithm>
#include <utility>

#include "io/assert.h"

namespace hamirror::core {
namespace {

bool is_power_of_two(std::uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

// The block after the last byte of [offset, offset + size_bytes), rounded up; an
// interval past the last representable byte runs to the end of the file.
std::uint64_t end_block_of(std::uint64_t offset, std::uint64_t size_bytes, std::uint64_t block_bytes) {
  if (size_bytes > UINT64_MAX - offset) return kToEndOfFile;
  const std::uint64_t end = offset + size_bytes;
  return end / block_bytes + (end % block_bytes != 0 ? 1 : 0);
}

// The largest finite end_block a map with this block size can hold.
std::uint64_t max_end_block(std::uint64_t block_bytes) { return UINT64_MAX / block_bytes + 1; }

std::uint64_t round_up(std::uint64_t value, std::uint64_t alignment) {
  if (value == kToEndOfFile) return kToEndOfFile;
  const std::uint64_t rest = value % alignment;
  return rest == 0 ? value : value + (alignment - rest);
}

std::nullopt_t refuse(std::string& why, std::string reason) {
  why = std::move(reason);
  return std::nullopt;
}

constexpr std::uint8_t kFlagNameChanged = 1;
constexpr std::uint8_t kFlagWhole = 2;

}  // namespace

DirtyMap::DirtyMap(std::uint64_t block_bytes) : block_bytes_(block_bytes) {
  HM_ASSERT(is_power_of_two(block_bytes) && block_bytes >= kMinBlockBytes && block_bytes <= kMaxBlockBytes);
}

// Errors every backend reports before touching anything: the op changed nothing.
// Others (io_error, no_space, unknown, ...) may come after part of the change.
bool may_have_changed(io::Error result) {
  switch (result) {
    case io::Error::not_found:
    case io::Error::already_exists:
    case io::Error::permission_denied:
    case io::Error::invalid_argument:
    case io::Error::not_empty:
    case io::Error::is_directory:
    case io::Error::not_directory:
    case io::Error::bad_handle:
    case io::Error::too_many_open:
    case io::Error::read_only:
    case io::Error::name_too_long:
    case io::Error::not_supported: return false;
    default: return true;
  }
}

// What each op marks. An op that failed before changing anything (see above) marks
// nothing; one that failed otherwise is marked for what may have happened anyway: an
// I/O error does not say whether the disk took the change.
//
//   op          ok                                   failed
//   write       its blocks                           its blocks (it may be partial)
//   truncate    cut at the new size                  blocks from the new size on
//   create      name                                 name
//   mkdir       name                                 name
//   set_mtime   name (metadata)                      name
//   set_mode    name (metadata)                      name
//   unlink      name, cut 0                          name (the file is there or not)
//   rmdir       name, cut 0                          name
//   rename      source: name, cut 0; target: whole   source: name; target: whole
//   fsync       nothing (durability, not contents)
//
// A create needs no cut: either it made a new empty file, whose every byte is then
// written (marked) or zero, or the file existed and nothing changed. The receiver may
// only hold something else under that name if the name was unlinked or renamed away
// before, which set the cut.
void DirtyMap::mark(const FileOp& op, io::Error result) {
  if (!may_have_changed(result)) return;
  const FileKey key{op.directory, op.path};
  const bool ok = result == io::Error::ok;
  switch (op.kind) {
    case OpKind::write: return mark_bytes(key, op.offset, op.data.size());
    case OpKind::truncate: return ok ? mark_cut(key, op.size_bytes) : mark_from(key, op.size_bytes);
    case OpKind::create:
    case OpKind::mkdir:
    case OpKind::set_mtime:
    case OpKind::set_mode: return mark_name(key, false);
    case OpKind::unlink:
    case OpKind::rmdir:
      mark_name(key, false);
      if (ok) mark_cut(key, 0);
      return;
    case OpKind::rename:
      mark_name(key, false);
      if (ok) mark_cut(key, 0);
      return mark_name(FileKey{op.directory, op.target}, true);
    case OpKind::fsync: return;
  }
  HM_ASSERT(false);  // every kind is handled above
}

DirtyEntry* DirtyMap::entry_for(const FileKey& key) {
  HM_ASSERT(key.directory < kMaxReplicatedDirectories && is_valid_relative_path(key.path));
  if (everything_) return nullptr;
  const auto found = entries_.find(key);
  if (found != entries_.end()) return &found->second;
  if (entries_.size() >= kMaxDirtyEntries || path_bytes_ + key.path.size() > kMaxDirtyPathBytes) {
    mark_everything();
    return nullptr;
  }
  path_bytes_ += key.path.size();
  return &entries_.emplace(key, DirtyEntry{}).first->second;
}

void DirtyMap::mark_bytes(const FileKey& key, std::uint64_t offset, std::uint64_t size_bytes) {
  if (size_bytes == 0) return;
  mark_blocks(key, {offset / block_bytes_, end_block_of(offset, size_bytes, block_bytes_)});
}

void DirtyMap::mark_from(const FileKey& key, std::uint64_t offset) {
  mark_blocks(key, {offset / block_bytes_, kToEndOfFile});
}

void DirtyMap::mark_blocks(const FileKey& key, BlockRange range) {
  HM_ASSERT(range.first_block < range.end_block);
  HM_ASSERT(range.end_block == kToEndOfFile || range.end_block <= max_end_block(block_bytes_));
  if (DirtyEntry* entry = entry_for(key)) add_range(*entry, range);
}

void DirtyMap::add_range(DirtyEntry& entry, BlockRange range) {
  auto& ranges = entry.ranges;
  // The first range that overlaps or touches the new one, then every later one that
  // does: they all become one.
  auto first = std::lower_bound(ranges.begin(), ranges.end(), range.first_block,
                                [](const BlockRange& r, std::uint64_t block) { return r.end_block < block; });
  auto last = first;
  std::size_t absorbed = 0;
  while (last != ranges.end() && last->first_block <= range.end_block) {
    range.first_block = std::min(range.first_block, last->first_block);
    range.end_block = std::max(range.end_block, last->end_block);
    ++last;
    ++absorbed;
  }
  first = ranges.erase(first, last);
  ranges.insert(first, range);
  range_count_ = range_count_ - absorbed + 1;
  if (ranges.size() > kMaxRangesPerEntry) coarsen(entry);
  if (range_count_ > kMaxDirtyRanges) mark_everything();  // entry is gone from here on
}

// Too many ranges in one file (a random-write workload over a huge file): round every
// range out to ever larger aligned spans, merging neighbours, until half the bound is
// left. Deterministic, and only ever adds blocks.
void DirtyMap::coarsen(DirtyEntry& entry) {
  for (std::uint64_t alignment = 2; entry.ranges.size() > kMaxRangesPerEntry / 2; alignment *= 2) {
    HM_ASSERT(alignment < (std::uint64_t{1} << 62));  // one range is reached long before
    std::vector<BlockRange> merged;
    merged.reserve(entry.ranges.size());
    for (const BlockRange& range : entry.ranges) {
      const BlockRange rounded{range.first_block / alignment * alignment, round_up(range.end_block, alignment)};
      if (!merged.empty() && merged.back().end_block >= rounded.first_block) {
        merged.back().end_block = std::max(merged.back().end_block, rounded.end_block);
      } else {
        merged.push_back(rounded);
      }
    }
    range_count_ -= entry.ranges.size() - merged.size();
    entry.ranges = std::move(merged);
  }
}

void DirtyMap::mark_cut(const FileKey& key, std::uint64_t size_bytes) {
  HM_ASSERT(size_bytes != kNoCut);
  if (DirtyEntry* entry = entry_for(key)) entry->cut_bytes = std::min(entry->cut_bytes, size_bytes);
}

void DirtyMap::mark_name(const FileKey& key, bool whole) {
  if (DirtyEntry* entry = entry_for(key)) {
    entry->name_changed = true;
    entry->whole = entry->whole || whole;
  }
}

void DirtyMap::mark_everything() {
  everything_ = true;
  entries_.clear();
  range_count_ = 0;
  path_bytes_ = 0;
}

void DirtyMap::merge(const DirtyMap& other) {
  if (everything_) return;
  if (other.everything_) return mark_everything();
  const std::uint64_t other_block = other.block_bytes_;
  for (const auto& [key, entry] : other.entries_) {
    if (entry.name_changed) mark_name(key, entry.whole);
    if (entry.cut_bytes != kNoCut) mark_cut(key, entry.cut_bytes);
    for (const BlockRange& range : entry.ranges) {
      if (other_block == block_bytes_) {
        mark_blocks(key, range);
      } else if (range.end_block == kToEndOfFile) {
        mark_from(key, range.first_block * other_block);
      } else {
        mark_bytes(key, range.first_block * other_block, (range.end_block - range.first_block) * other_block);
      }
      if (everything_) return;
    }
    if (everything_) return;
  }
}

void DirtyMap::distrust_cuts() {
  std::vector<std::pair<FileKey, std::uint64_t>> cuts;
  for (const auto& [key, entry] : entries_) {
    if (entry.cut_bytes != kNoCut) cuts.emplace_back(key, entry.cut_bytes);
  }
  for (const auto& [key, cut] : cuts) {
    if (everything_) return;
    entries_.at(key).cut_bytes = kNoCut;
    if (cut == 0) {
      mark_name(key, true);
    } else {
      mark_from(key, cut);
    }
  }
}

void DirtyMap::clear() {
  everything_ = false;
  entries_.clear();
  range_count_ = 0;
  path_bytes_ = 0;
}

const DirtyEntry* DirtyMap::find(const FileKey& key) const {
  const auto found = entries_.find(key);
  return found == entries_.end() ? nullptr : &found->second;
}

std::uint64_t DirtyMap::bounded_dirty_bytes() const {
  std::uint64_t blocks = 0;
  for (const auto& [key, entry] : entries_) {
    for (const BlockRange& range : entry.ranges) {
      if (range.end_block != kToEndOfFile) blocks += range.end_block - range.first_block;
    }
  }
  return blocks > UINT64_MAX / block_bytes_ ? UINT64_MAX : blocks * block_bytes_;
}

void DirtyMap::serialize(RecordWriter& out) const {
  out.u64(block_bytes_);
  out.u8(everything_ ? 1 : 0);
  out.u32(static_cast<std::uint32_t>(entries_.size()));
  for (const auto& [key, entry] : entries_) {
    out.u32(key.directory);
    out.text(key.path);
    out.u8(static_cast<std::uint8_t>((entry.name_changed ? kFlagNameChanged : 0) | (entry.whole ? kFlagWhole : 0)));
    out.u64(entry.cut_bytes);
    out.u32(static_cast<std::uint32_t>(entry.ranges.size()));
    for (const BlockRange& range : entry.ranges) {
      out.u64(range.first_block);
      out.u64(range.end_block);
    }
  }
}

std::optional<DirtyMap> DirtyMap::parse(RecordReader& in, std::string& why) {
  std::uint64_t block_bytes = 0;
  std::uint8_t everything = 0;
  std::uint32_t count = 0;
  if (!in.u64(block_bytes) || !in.u8(everything) || !in.u32(count)) return refuse(why, "dirty map header cut short");
  if (!is_power_of_two(block_bytes) || block_bytes < kMinBlockBytes || block_bytes > kMaxBlockBytes) {
    return refuse(why, "dirty map block size " + std::to_string(block_bytes) + " is not allowed");
  }
  if (everything > 1 || (everything == 1 && count != 0) || count > kMaxDirtyEntries) {
    return refuse(why, "dirty map header is inconsistent");
  }
  DirtyMap map(block_bytes);
  map.everything_ = everything == 1;
  const std::uint64_t last_block = max_end_block(block_bytes);
  for (std::uint32_t i = 0; i < count; ++i) {
    FileKey key;
    DirtyEntry entry;
    std::uint8_t flags = 0;
    std::uint32_t range_count = 0;
    if (!in.u32(key.directory) || !in.text(key.path, kMaxRelativePathBytes) || !in.u8(flags) ||
        !in.u64(entry.cut_bytes) || !in.u32(range_count)) {
      return refuse(why, "dirty map entry " + std::to_string(i) + " cut short");
    }
    const bool ordered = map.entries_.empty() || map.entries_.rbegin()->first < key;
    if (key.directory >= kMaxReplicatedDirectories || !is_valid_relative_path(key.path) || !ordered ||
        flags > (kFlagNameChanged | kFlagWhole) || flags == kFlagWhole || range_count > kMaxRangesPerEntry ||
        range_count > in.remaining() / 16) {
      return refuse(why, "dirty map entry " + std::to_string(i) + " is invalid");
    }
    entry.name_changed = (flags & kFlagNameChanged) != 0;
    entry.whole = (flags & kFlagWhole) != 0;
    entry.ranges.resize(range_count);
    for (std::uint32_t r = 0; r < range_count; ++r) {
      BlockRange& range = entry.ranges[r];
      const bool read = in.u64(range.first_block) && in.u64(range.end_block);
      const bool after_previous = r == 0 || range.first_block > entry.ranges[r - 1].end_block;
      const bool bounded = range.end_block == kToEndOfFile || range.end_block <= last_block;
      if (!read || range.first_block >= range.end_block || !after_previous || !bounded) {
        return refuse(why, "dirty map entry " + std::to_string(i) + " has an invalid range");
      }
    }
    if (!entry.name_changed && entry.cut_bytes == kNoCut && entry.ranges.empty()) {
      return refuse(why, "dirty map entry " + std::to_string(i) + " marks nothing");
    }
    map.range_count_ += range_count;
    map.path_bytes_ += key.path.size();
    if (map.range_count_ > kMaxDirtyRanges || map.path_bytes_ > kMaxDirtyPathBytes) {
      return refuse(why, "dirty map exceeds its bounds");
    }
    map.entries_.emplace_hint(map.entries_.end(), std::move(key), std::move(entry));
  }
  return map;
}

}  // namespace hamirror::core
