// The dirty map (pure data), its record format, and its lazily flushed record file.
#include "core/activity/dirty_map.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/activity/dirty_record.h"
#include "core/activity/record_codec.h"
#include "fsim/mem_fs.h"
#include "sim/scheduler.h"

namespace hamirror::core {
namespace {

const FileKey kFile{0, "a/file"};

FileOp write_op(const std::string& path, std::uint64_t offset, std::size_t size) {
  FileOp op{.kind = OpKind::write, .path = path, .offset = offset};
  op.data = io::Bytes(size, 0x5a);
  return op;
}

std::vector<BlockRange> ranges_of(const DirtyMap& map, const FileKey& key) {
  const DirtyEntry* entry = map.find(key);
  return entry ? entry->ranges : std::vector<BlockRange>{};
}

bool covers(const DirtyMap& map, const FileKey& key, std::uint64_t block) {
  for (const BlockRange& range : ranges_of(map, key)) {
    if (range.first_block <= block && block < range.end_block) return true;
  }
  return false;
}

TEST(DirtyMap, marks_whole_blocks_and_joins_ranges_that_touch) {
  DirtyMap map(4096);
  map.mark(write_op(kFile.path, 100, 10), io::Error::ok);
  map.mark(write_op(kFile.path, 4096, 4096), io::Error::ok);
  map.mark(write_op(kFile.path, 5 * 4096 + 1, 4096), io::Error::ok);
  EXPECT_EQ(ranges_of(map, kFile), (std::vector<BlockRange>{{0, 2}, {5, 7}}));
  EXPECT_EQ(map.bounded_dirty_bytes(), 4u * 4096);
  map.mark(write_op(kFile.path, 2 * 4096, 3 * 4096), io::Error::ok);  // fills the gap exactly
  EXPECT_EQ(ranges_of(map, kFile), (std::vector<BlockRange>{{0, 7}}));
  EXPECT_EQ(map.range_count(), 1u);
}

TEST(DirtyMap, a_truncate_cuts_and_a_failed_one_marks_everything_from_its_size) {
  DirtyMap map(4096);
  map.mark({.kind = OpKind::truncate, .path = kFile.path, .size_bytes = 1000}, io::Error::ok);
  map.mark({.kind = OpKind::truncate, .path = kFile.path, .size_bytes = 5000}, io::Error::ok);
  EXPECT_EQ(map.find(kFile)->cut_bytes, 1000u);
  EXPECT_TRUE(ranges_of(map, kFile).empty());
  map.mark({.kind = OpKind::truncate, .path = kFile.path, .size_bytes = 8192}, io::Error::io_error);
  EXPECT_EQ(ranges_of(map, kFile), (std::vector<BlockRange>{{2, kToEndOfFile}}));
}

TEST(DirtyMap, an_op_that_failed_before_changing_anything_marks_nothing) {
  DirtyMap map(4096);
  map.mark(write_op("missing", 0, 10), io::Error::not_found);
  map.mark({.kind = OpKind::create, .path = "x", .exclusive = true}, io::Error::already_exists);
  map.mark({.kind = OpKind::rmdir, .path = "d"}, io::Error::not_empty);
  EXPECT_TRUE(map.empty());
  map.mark(write_op("disk", 0, 10), io::Error::io_error);  // may be partly on disk
  EXPECT_EQ(ranges_of(map, {0, "disk"}), (std::vector<BlockRange>{{0, 1}}));
}

TEST(DirtyMap, namespace_ops_mark_names_and_a_rename_target_is_whole) {
  DirtyMap map(4096);
  map.mark({.kind = OpKind::create, .path = "new"}, io::Error::ok);
  map.mark({.kind = OpKind::unlink, .path = "gone"}, io::Error::ok);
  map.mark({.kind = OpKind::rename, .path = "from", .target = "to"}, io::Error::ok);
  map.mark({.kind = OpKind::fsync, .path = "new"}, io::Error::ok);
  const DirtyEntry* created = map.find({0, "new"});
  ASSERT_NE(created, nullptr);
  EXPECT_TRUE(created->name_changed);
  EXPECT_FALSE(created->whole);
  EXPECT_EQ(created->cut_bytes, kNoCut) << "a create of an existing file changes nothing";
  EXPECT_EQ(map.find({0, "gone"})->cut_bytes, 0u);
  EXPECT_EQ(map.find({0, "from"})->cut_bytes, 0u);
  EXPECT_TRUE(map.find({0, "to"})->whole);
  EXPECT_EQ(map.entries().size(), 4u);
}

TEST(DirtyMap, a_file_with_too_many_ranges_is_coarsened_without_losing_a_block) {
  DirtyMap map(4096);
  const std::uint64_t marked = kMaxRangesPerEntry + 100;
  for (std::uint64_t i = 0; i < marked; ++i) map.mark_blocks(kFile, {3 * i, 3 * i + 1});
  EXPECT_LE(map.find(kFile)->ranges.size(), kMaxRangesPerEntry);
  EXPECT_EQ(map.range_count(), map.find(kFile)->ranges.size());
  for (std::uint64_t i = 0; i < marked; ++i) ASSERT_TRUE(covers(map, kFile, 3 * i)) << i;
  // Coarsening rounds out to aligned spans: at most the blocks in between are added.
  EXPECT_LE(map.bounded_dirty_bytes(), 3 * marked * 4096 + 8 * 4096);
}

TEST(DirtyMap, past_its_bound_on_names_it_says_everything) {
  DirtyMap map(4096);
  for (std::size_t i = 0; i <= kMaxDirtyEntries; ++i) map.mark_name({0, "n" + std::to_string(i)}, false);
  EXPECT_TRUE(map.everything());
  EXPECT_TRUE(map.entries().empty());
  map.mark_bytes(kFile, 0, 10);  // nothing more to learn
  EXPECT_TRUE(map.entries().empty());
}

TEST(DirtyMap, merge_is_a_union_across_block_sizes) {
  DirtyMap coarse(4096);
  coarse.mark_bytes(kFile, 4096, 4096);
  DirtyMap fine(512);
  fine.mark_bytes(kFile, 100, 500);  // blocks 0 and 1 of 512
  fine.mark_from(kFile, 20 * 512);
  fine.mark_name({0, "n"}, true);
  fine.mark_cut(kFile, 77);
  coarse.merge(fine);
  // 512-byte blocks 0-1 become 4 KiB block 0, joining block 1; the tail from byte
  // 10240 starts in block 2 and joins too.
  EXPECT_EQ(ranges_of(coarse, kFile), (std::vector<BlockRange>{{0, kToEndOfFile}}));
  EXPECT_EQ(coarse.find(kFile)->cut_bytes, 77u);
  EXPECT_TRUE(coarse.find({0, "n"})->whole);

  DirtyMap back(512);
  DirtyMap one(4096);
  one.mark_bytes(kFile, 4096, 1);
  back.merge(one);
  EXPECT_EQ(ranges_of(back, kFile), (std::vector<BlockRange>{{8, 16}}));
  DirtyMap all(4096);
  all.mark_everything();
  back.merge(all);
  EXPECT_TRUE(back.everything());
}

TEST(DirtyMap, distrusted_cuts_become_everything_from_the_cut_on) {
  DirtyMap map(4096);
  map.mark({.kind = OpKind::truncate, .path = "t", .size_bytes = 5000}, io::Error::ok);
  map.mark({.kind = OpKind::unlink, .path = "u"}, io::Error::ok);
  map.mark({.kind = OpKind::rename, .path = "d", .target = "e"}, io::Error::ok);
  map.distrust_cuts();
  EXPECT_EQ(map.find({0, "t"})->cut_bytes, kNoCut);
  EXPECT_EQ(ranges_of(map, {0, "t"}), (std::vector<BlockRange>{{1, kToEndOfFile}}));
  EXPECT_TRUE(map.find({0, "u"})->whole);
  EXPECT_TRUE(map.find({0, "d"})->whole) << "a directory renamed away may still be there after the crash";
}

DirtyMap sample_map() {
  DirtyMap map(4096);
  map.mark(write_op("a", 0, 10), io::Error::ok);
  map.mark(write_op("a", 40000, 9000), io::Error::ok);
  map.mark({.kind = OpKind::truncate, .path = "b/c", .size_bytes = 123}, io::Error::ok);
  map.mark({.kind = OpKind::truncate, .path = "b/d", .size_bytes = 9000}, io::Error::io_error);
  map.mark({.kind = OpKind::rename, .directory = 3, .path = "x", .target = "y/z"}, io::Error::ok);
  return map;
}

// What a record of `map` loads as: its cuts distrusted.
DirtyMap as_reloaded(DirtyMap map) {
  map.distrust_cuts();
  return map;
}

io::Bytes sealed(const DirtyMap& map) {
  RecordWriter out;
  map.serialize(out);
  return out.seal("TESTMAP1");
}

std::optional<DirtyMap> unsealed(io::ByteView bytes, std::string& why) {
  const auto body = open_record(bytes, "TESTMAP1", why);
  if (!body) return std::nullopt;
  RecordReader in(*body);
  auto map = DirtyMap::parse(in, why);
  if (map && !in.at_end()) return std::nullopt;
  return map;
}

TEST(DirtyMap, serializes_and_parses_back_identically) {
  const DirtyMap map = sample_map();
  std::string why;
  const auto parsed = unsealed(sealed(map), why);
  ASSERT_TRUE(parsed.has_value()) << why;
  EXPECT_EQ(*parsed, map);
  DirtyMap everything(8192);
  everything.mark_everything();
  EXPECT_EQ(unsealed(sealed(everything), why), everything);
}

TEST(DirtyMap, every_truncation_and_every_flipped_byte_of_a_record_is_detected) {
  const io::Bytes bytes = sealed(sample_map());
  std::string why;
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(unsealed(io::ByteView(bytes).first(size), why).has_value()) << "cut to " << size;
  }
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (const std::uint8_t flip : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
      io::Bytes damaged = bytes;
      damaged[i] ^= flip;
      EXPECT_FALSE(unsealed(damaged, why).has_value()) << "byte " << i;
    }
  }
}

// A disk with the record's directory.
struct Disk {
  sim::Trace trace;
  sim::Scheduler scheduler{trace};
  fsim::MemFs fs;
  std::vector<std::string> lines;
  explicit Disk(std::uint64_t seed) : fs(scheduler, io::Prng(seed)) { fs.install_directory("/state"); }
  ActivityLogFn log() {
    return [this](std::string_view line) { lines.emplace_back(line); };
  }
  LoadedDirtyMap load(bool expect) {
    DirtyRecord record(fs, "/state/dirty", log());
    std::optional<LoadedDirtyMap> loaded;
    record.load(expect, [&](LoadedDirtyMap l) { loaded = std::move(l); });
    EXPECT_FALSE(loaded.has_value()) << "load completed inside the call";
    scheduler.run_until([&] { return loaded.has_value(); }, scheduler.now_ns() + io::kNsPerS);
    EXPECT_TRUE(loaded.has_value());
    return std::move(*loaded);
  }
};

TEST(DirtyRecord, survives_a_crash_at_any_point_of_a_save_with_the_old_or_the_new_map) {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Disk disk(seed);
    io::Prng rng(seed);
    DirtyMap old_map = sample_map();
    DirtyMap new_map = sample_map();
    new_map.mark_bytes({0, "later"}, 0, 1 << 20);
    {
      DirtyRecord record(disk.fs, "/state/dirty", disk.log());
      bool saved = false;
      ASSERT_EQ(record.save(old_map, 7, [&](io::Error e) { saved = e == io::Error::ok; }), io::Error::ok);
      ASSERT_TRUE(disk.scheduler.run_until([&] { return saved; }, io::kNsPerS));
      ASSERT_EQ(record.save(new_map, 9, [](io::Error) {}), io::Error::ok);
      const std::uint64_t steps = rng.below(12);
      for (std::uint64_t i = 0; i < steps && disk.scheduler.step(); ++i) {
      }
      disk.fs.crash();
    }
    const LoadedDirtyMap loaded = disk.load(true);
    ASSERT_EQ(loaded.state, RecordState::loaded);
    EXPECT_TRUE((loaded.map == as_reloaded(old_map) && loaded.through_sequence == 7) ||
                (loaded.map == as_reloaded(new_map) && loaded.through_sequence == 9));
    EXPECT_TRUE(disk.lines.empty());
  }
}

TEST(DirtyRecord, saves_asked_for_during_a_save_are_coalesced_into_the_newest) {
  Disk disk(1);
  DirtyRecord record(disk.fs, "/state/dirty", disk.log());
  std::vector<int> done;
  DirtyMap map(4096);
  for (int i = 0; i < 5; ++i) {
    map.mark_bytes(kFile, static_cast<std::uint64_t>(i) * 4096, 1);
    ASSERT_EQ(record.save(map, static_cast<std::uint64_t>(i), [&done, i](io::Error e) {
      EXPECT_EQ(e, io::Error::ok);
      done.push_back(i);
    }), io::Error::ok);
  }
  EXPECT_TRUE(done.empty());
  disk.scheduler.run_until([&] { return done.size() == 5; }, io::kNsPerS);
  EXPECT_EQ(done, (std::vector<int>{0, 1, 2, 3, 4}));
  const LoadedDirtyMap loaded = disk.load(true);
  EXPECT_EQ(loaded.map, map);
  EXPECT_EQ(loaded.through_sequence, 4u);
}

TEST(DirtyRecord, a_damaged_or_lost_record_loads_as_everything_dirty_and_says_why) {
  Disk disk(1);
  // First start: no record, nothing dirty, nothing to say.
  LoadedDirtyMap loaded = disk.load(false);
  EXPECT_EQ(loaded.state, RecordState::missing);
  EXPECT_TRUE(loaded.map.empty());
  EXPECT_TRUE(disk.lines.empty());
  // Expected but gone.
  loaded = disk.load(true);
  EXPECT_EQ(loaded.state, RecordState::missing);
  EXPECT_TRUE(loaded.map.everything());
  ASSERT_EQ(disk.lines.size(), 1u);
  EXPECT_NE(disk.lines[0].find("everything"), std::string::npos) << disk.lines[0];
  // Garbage, and a good record cut short.
  disk.fs.install_file("/state/dirty", io::as_bytes("not a record at all, just text"));
  loaded = disk.load(true);
  EXPECT_EQ(loaded.state, RecordState::damaged);
  EXPECT_TRUE(loaded.map.everything());
  RecordWriter body;
  body.u64(3);
  sample_map().serialize(body);
  const io::Bytes good = body.seal("HMDIRTY1");
  disk.fs.install_file("/state/dirty", io::ByteView(good).first(good.size() - 3));
  loaded = disk.load(true);
  EXPECT_EQ(loaded.state, RecordState::damaged);
  EXPECT_TRUE(loaded.map.everything());
  EXPECT_EQ(disk.lines.size(), 3u);
  disk.fs.install_file("/state/dirty", good);
  loaded = disk.load(true);
  EXPECT_EQ(loaded.state, RecordState::loaded);
  EXPECT_EQ(loaded.map, as_reloaded(sample_map()));
}

}  // namespace
}  // namespace hamirror::core
