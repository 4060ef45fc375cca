// The activity log on a simulated disk: extents are durable before a write may go,
// retire after durable checkpoints, survive crashes, and hold writers back when full.
#include "core/activity/activity_log.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fsim/faulty_fs.h"
#include "fsim/mem_fs.h"
#include "harness.h"
#include "sim/scheduler.h"

namespace hamirror::core {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

FileOp write_at(const std::string& path, std::uint64_t offset, std::size_t size = 100) {
  FileOp op{.kind = OpKind::write, .path = path, .offset = offset};
  op.data = io::Bytes(size, 1);
  return op;
}

ActiveKey extent(const std::string& path, std::uint64_t index) { return {FileKey{0, path}, ActiveKind::extent, index}; }

// Most tests count exactly the extents ops touch; the extents named ahead of a
// sequential writer have tests of their own.
constexpr ActivityOptions kNoAhead{.extents_ahead = 0};

struct Disk {
  sim::Trace trace;
  sim::Scheduler scheduler{trace};
  fsim::MemFs fs;
  std::vector<std::string> lines;
  explicit Disk(std::uint64_t seed = 1) : fs(scheduler, io::Prng(seed)) { fs.install_directory("/state"); }

  std::unique_ptr<ActivityLog> open(ActivityOptions options = kNoAhead, io::FileSystem* through = nullptr) {
    return std::make_unique<ActivityLog>(through ? *through : fs, "/state/activity", options,
                                         [this](std::string_view line) { lines.emplace_back(line); });
  }
  LoadedActivity load(ActivityLog& log, bool expect) {
    std::optional<LoadedActivity> loaded;
    log.load(expect, [&](LoadedActivity l) { loaded = std::move(l); });
    EXPECT_FALSE(loaded.has_value());
    scheduler.run_until([&] { return loaded.has_value(); }, scheduler.now_ns() + io::kNsPerS);
    EXPECT_TRUE(loaded.has_value());
    return std::move(*loaded);
  }
  // A fresh log after a first start: loaded, with its (empty) record written.
  std::unique_ptr<ActivityLog> started(ActivityOptions options = kNoAhead) {
    auto log = open(options);
    load(*log, false);
    compact(*log);
    return log;
  }
  void compact(ActivityLog& log) {
    bool done = false;
    log.compact([&](io::Error e) {
      EXPECT_EQ(e, io::Error::ok);
      done = true;
    });
    EXPECT_TRUE(scheduler.run_until([&] { return done; }, scheduler.now_ns() + io::kNsPerS));
  }
  // Crash, then what a restarted log finds.
  std::vector<ActiveKey> crash_and_reload(std::unique_ptr<ActivityLog>& log, ActivityOptions options = kNoAhead) {
    fs.crash();
    log = open(options);
    load(*log, true);
    return log->active_keys();
  }
  void settle() { scheduler.run_for(10 * io::kNsPerMs); }
};

TEST(ActivityLog, a_write_into_an_inactive_extent_waits_until_the_extent_is_durable) {
  Disk disk;
  auto log = disk.started();
  std::vector<io::Error> results;
  const Admit admit = log->before_write(1, write_at("f", 5 * kMiB), [&](io::Error e) { results.push_back(e); });
  EXPECT_EQ(admit.what, Admission::wait_for_go);
  EXPECT_TRUE(results.empty()) << "go must not run inside before_write";
  disk.scheduler.run_until([&] { return !results.empty(); }, io::kNsPerS);
  ASSERT_EQ(results, std::vector<io::Error>{io::Error::ok});
  // The moment go ran, the extent was on disk: a crash right now keeps it.
  EXPECT_EQ(disk.crash_and_reload(log), (std::vector<ActiveKey>{extent("f", 1)}));
}

TEST(ActivityLog, writes_into_durable_extents_proceed_at_once_but_never_overtake_a_waiting_write) {
  Disk disk;
  auto log = disk.started();
  std::vector<std::uint64_t> order;
  auto note = [&](std::uint64_t sequence) {
    return [&order, sequence](io::Error e) {
      EXPECT_EQ(e, io::Error::ok);
      order.push_back(sequence);
    };
  };
  ASSERT_EQ(log->before_write(1, write_at("f", 0), note(1)).what, Admission::wait_for_go);
  disk.settle();
  EXPECT_EQ(log->before_write(2, write_at("f", 4096), note(2)).what, Admission::proceed_now);
  EXPECT_EQ(log->before_write(3, write_at("g", 0), note(3)).what, Admission::wait_for_go);
  // Extent f:0 is durable, but op 3 waits: op 4 must not be issued before it.
  EXPECT_EQ(log->before_write(4, write_at("f", 8192), note(4)).what, Admission::wait_for_go);
  EXPECT_EQ(log->before_write(5, {.kind = OpKind::fsync, .path = "f"}, note(5)).what, Admission::wait_for_go);
  disk.settle();
  EXPECT_EQ(order, (std::vector<std::uint64_t>{1, 3, 4, 5}));
  EXPECT_EQ(log->before_write(6, write_at("g", 100), note(6)).what, Admission::proceed_now);
}

// A writer that submits its next op from inside the previous one's go (the FUSE and
// replication paths do) into the same, durable extent is not held for a record write
// of its own: that convoy cost one record rewrite per op (bench/suite measured it).
TEST(ActivityLog, an_op_submitted_from_inside_a_go_into_a_durable_extent_goes_on_without_a_record_write) {
  Disk disk;
  auto log = disk.started();
  std::vector<std::uint64_t> order;
  std::uint64_t next = 2;
  std::function<void(io::Error)> chain = [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    order.push_back(next - 1);
    if (next > 20) return;
    const std::uint64_t sequence = next++;
    const Admit admit = log->before_write(sequence, write_at("f", sequence * 100), chain);
    if (admit.what == Admission::proceed_now) chain(io::Error::ok);
  };
  ASSERT_EQ(log->before_write(1, write_at("f", 0), chain).what, Admission::wait_for_go);
  const std::uint64_t writes_before = log->record_writes();
  disk.settle();
  ASSERT_EQ(order.size(), 20u);
  for (std::uint64_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i + 1) << "in order";
  EXPECT_LE(log->record_writes() - writes_before, 2u) << "not one record write per op";
}

// A sequential writer chaining 1 MiB writes from inside each go: one record write per
// new extent. A redundant write started for the ops that follow an activation made the
// next activation wait for it too (two rewrites per 4 MiB, measured by bench/suite).
TEST(ActivityLog, a_sequential_writer_costs_one_record_write_per_new_extent) {
  Disk disk;
  auto log = disk.started();
  const std::uint64_t writes_before = log->record_writes();
  constexpr std::uint64_t kWrites = 12;  // three 4 MiB extents
  std::uint64_t next = 1;
  std::uint64_t completed = 0;
  std::function<void()> submit_more;
  const std::function<void(io::Error)> go = [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    ++completed;
    submit_more();
  };
  submit_more = [&] {
    while (next <= kWrites) {
      const std::uint64_t sequence = next++;
      if (log->before_write(sequence, write_at("f", (sequence - 1) * kMiB), go).what != Admission::proceed_now) return;
      ++completed;
    }
  };
  submit_more();
  disk.settle();
  ASSERT_EQ(completed, kWrites);
  EXPECT_EQ(log->record_writes() - writes_before, 3u) << "one record write per extent, none between";
}

// With extents named ahead, a sequential writer whose data takes longer than a record
// write stops only for its first extent: the next ones are durable before it gets
// there, written beside its data, one record write per two extents (4 ahead).
TEST(ActivityLog, a_sequential_writer_finds_the_extents_named_ahead_durable_and_stops_only_at_its_first) {
  Disk disk;
  auto log = disk.started(ActivityOptions{});
  ASSERT_EQ(log->options().extents_ahead, 4u);
  const std::uint64_t writes_before = log->record_writes();
  constexpr std::uint64_t kWrites = 48;  // twelve 4 MiB extents, 1 MiB each
  int stops = 0;
  for (std::uint64_t sequence = 1; sequence <= kWrites; ++sequence) {
    bool went = false;
    const Admit admit = log->before_write(sequence, write_at("f", (sequence - 1) * kMiB), [&](io::Error e) {
      EXPECT_EQ(e, io::Error::ok);
      went = true;
    });
    if (admit.what == Admission::wait_for_go) {
      ++stops;
      ASSERT_TRUE(disk.scheduler.run_until([&] { return went; }, disk.scheduler.now_ns() + io::kNsPerS));
    } else {
      ASSERT_EQ(admit.what, Admission::proceed_now);
    }
    disk.scheduler.run_for(2 * io::kNsPerMs);  // the data's own write: 8 ms per extent
  }
  EXPECT_EQ(stops, 1) << "only the first extent waits for the record";
  EXPECT_LE(log->record_writes() - writes_before, 7u) << "about one record write per two extents (12 without ahead)";
  // The stream's twelve extents and two to four ahead of it (refilled at half).
  EXPECT_GE(log->active_count(), 12u + 2u);
  EXPECT_LE(log->active_count(), 12u + 4u);
}

// Writes that do not continue a stream (neither their extent nor the one before is
// active, and it is not extent 0) or stay in the first half of their extent (a small
// file) name nothing ahead.
TEST(ActivityLog, a_random_writer_and_a_small_file_name_no_extent_ahead) {
  Disk disk;
  auto log = disk.started(ActivityOptions{});
  log->before_write(1, write_at("f", 5 * 4 * kMiB + 3 * kMiB), [](io::Error) {});
  log->before_write(2, write_at("g", 9 * 4 * kMiB + 3 * kMiB), [](io::Error) {});
  log->before_write(3, write_at("f", 2 * 4 * kMiB + 3 * kMiB), [](io::Error) {});
  for (std::uint64_t i = 0; i < 32; ++i) log->before_write(4 + i, write_at("small", i * 64 * 1024, 64 * 1024), [](io::Error) {});
  disk.settle();
  EXPECT_EQ(log->active_keys(),
            (std::vector<ActiveKey>{extent("f", 2), extent("f", 5), extent("g", 9), extent("small", 0)}));
  // The small file's next write reaches the second half of its extent: a stream.
  log->before_write(36, write_at("small", 2 * kMiB, 64 * 1024), [](io::Error) {});
  disk.settle();
  EXPECT_EQ(log->active_count(), 4u + 4u);
}

// Extents named ahead are in the record (a crash resyncs them: wider, never less),
// mark nothing in uncertain() (nothing was written there), stay active while the
// stream goes on and retire with its last op.
TEST(ActivityLog, extents_named_ahead_are_recorded_follow_the_stream_and_retire_with_it) {
  Disk disk;
  auto log = disk.started(ActivityOptions{});
  ASSERT_EQ(log->before_write(1, write_at("f", 2 * kMiB, 4096), [](io::Error) {}).what, Admission::wait_for_go);
  disk.settle();
  const std::vector<ActiveKey> named{extent("f", 0), extent("f", 1), extent("f", 2), extent("f", 3), extent("f", 4)};
  EXPECT_EQ(log->active_keys(), named);
  EXPECT_EQ(log->uncertain().find({0, "f"})->ranges, (std::vector<BlockRange>{{512, 513}}));
  ASSERT_EQ(log->before_write(2, write_at("f", 2 * kMiB + 4096, 4096), [](io::Error) {}).what, Admission::proceed_now);
  log->retire_through(1);
  EXPECT_EQ(log->active_keys(), named) << "op 2 continues the stream: nothing retires with op 1";
  log->retire_through(2);
  EXPECT_TRUE(log->active_keys().empty());
  // Retirement is lazy: the record still names all five.
  EXPECT_EQ(disk.crash_and_reload(log, ActivityOptions{}), named);
}

TEST(ActivityLog, activations_asked_for_during_a_record_write_share_the_next_one) {
  Disk disk;
  auto log = disk.started();
  const std::uint64_t writes_before = log->record_writes();
  int released = 0;
  for (std::uint64_t i = 1; i <= 10; ++i) {
    ASSERT_EQ(log->before_write(i, write_at("f" + std::to_string(i), 0), [&](io::Error) { ++released; }).what,
              Admission::wait_for_go);
  }
  disk.settle();
  EXPECT_EQ(released, 10);
  // The first went alone; the nine asked for while it was written share the next.
  EXPECT_EQ(log->record_writes() - writes_before, 2u);
}

TEST(ActivityLog, extents_retire_after_a_durable_checkpoint_and_stay_after_a_crash_otherwise) {
  Disk disk;
  auto log = disk.started();
  ASSERT_EQ(log->before_write(1, write_at("f", 0), [](io::Error) {}).what, Admission::wait_for_go);
  ASSERT_EQ(log->before_write(2, write_at("f", 4 * kMiB), [](io::Error) {}).what, Admission::wait_for_go);
  ASSERT_EQ(log->before_write(3, write_at("g", 0), [](io::Error) {}).what, Admission::wait_for_go);
  disk.settle();
  ASSERT_EQ(log->before_write(4, write_at("f", 100), [](io::Error) {}).what, Admission::proceed_now);
  // Both copies durable through op 3: g:0 retires, f:0 stays for op 4, f:1 retires.
  log->retire_through(3);
  EXPECT_EQ(log->active_keys(), (std::vector<ActiveKey>{extent("f", 0)}));
  // Retirement is lazy: a crash before the record is rewritten keeps all three.
  auto crashed = disk.crash_and_reload(log);
  EXPECT_EQ(crashed, (std::vector<ActiveKey>{extent("f", 0), extent("f", 1), extent("g", 0)}));

  // After a compaction, a crash keeps only what was still active.
  log->release_recovered();
  ASSERT_EQ(log->before_write(5, write_at("h", 0), [](io::Error) {}).what, Admission::wait_for_go);
  disk.settle();
  log->retire_through(4);
  disk.compact(*log);
  EXPECT_EQ(disk.crash_and_reload(log), (std::vector<ActiveKey>{extent("h", 0)}));
}

TEST(ActivityLog, the_bound_on_active_extents_holds_back_writers_until_retirements) {
  Disk disk;
  auto log = disk.started({.max_active = 3, .extents_ahead = 0});
  std::vector<std::uint64_t> order;
  auto note = [&](std::uint64_t sequence) { return [&order, sequence](io::Error) { order.push_back(sequence); }; };
  for (std::uint64_t i = 1; i <= 3; ++i) log->before_write(i, write_at("f", (i - 1) * 4 * kMiB), note(i));
  disk.settle();
  EXPECT_EQ(order, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_FALSE(log->full());
  EXPECT_EQ(log->before_write(4, write_at("f", 3 * 4 * kMiB), note(4)).what, Admission::wait_for_go);
  // Extent f:0 is active, yet op 5 waits behind op 4.
  EXPECT_EQ(log->before_write(5, write_at("f", 10), note(5)).what, Admission::wait_for_go);
  disk.settle();
  EXPECT_TRUE(log->full());
  EXPECT_EQ(log->active_count(), 3u);
  EXPECT_EQ(order.size(), 3u) << "no room: op 4 must wait";
  log->retire_through(2);  // f:0 and f:1 retire
  EXPECT_EQ(order.size(), 3u) << "go never runs inside retire_through";
  disk.settle();
  EXPECT_EQ(order, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_FALSE(log->full());
  EXPECT_LE(log->active_count(), 3u);
}

TEST(ActivityLog, entries_found_after_a_crash_stay_until_released_even_across_a_second_crash) {
  Disk disk;
  auto log = disk.started();
  ASSERT_EQ(log->before_write(1, write_at("old", 0), [](io::Error) {}).what, Admission::wait_for_go);
  disk.settle();
  disk.crash_and_reload(log);
  // A new life: its own ops retire, the recovered entry does not.
  ASSERT_EQ(log->before_write(1, write_at("new", 0), [](io::Error) {}).what, Admission::wait_for_go);
  disk.settle();
  log->retire_through(100);
  disk.compact(*log);
  EXPECT_EQ(disk.crash_and_reload(log), (std::vector<ActiveKey>{extent("old", 0)}));
  log->release_recovered();
  disk.compact(*log);
  EXPECT_TRUE(disk.crash_and_reload(log).empty());
}

// Seed 1375: an op that failed on one copy leaves the copies different where it wrote;
// the checkpoints that follow must not retire that, in memory or on disk.
TEST(ActivityLog, the_entries_of_an_op_kept_until_a_resync_outlive_checkpoints_and_crashes_until_released) {
  Disk disk;
  auto log = disk.started();
  ASSERT_EQ(log->before_write(1, write_at("failed", 4 * kMiB), [](io::Error) {}).what, Admission::wait_for_go);
  ASSERT_EQ(log->before_write(2, write_at("fine", 0), [](io::Error) {}).what, Admission::wait_for_go);
  disk.settle();
  FileOp shape{.kind = OpKind::write, .path = "failed", .offset = 4 * kMiB, .size_bytes = 100};  // its data dropped
  log->keep_until_resync(shape);
  log->retire_through(2);
  EXPECT_EQ(log->active_keys(), (std::vector<ActiveKey>{extent("failed", 1)}));
  disk.compact(*log);
  EXPECT_EQ(disk.crash_and_reload(log), (std::vector<ActiveKey>{extent("failed", 1)}));
  log->release_recovered();
  disk.compact(*log);
  EXPECT_TRUE(disk.crash_and_reload(log).empty());
}

TEST(ActivityLog, a_damaged_record_loads_as_everything_dirty_until_released) {
  Disk disk;
  disk.fs.install_file("/state/activity", io::as_bytes("HMACTIV1 but not really"));
  auto log = disk.open(kNoAhead);
  const LoadedActivity loaded = disk.load(*log, true);
  EXPECT_EQ(loaded.state, RecordState::damaged);
  EXPECT_TRUE(loaded.dirty.everything());
  ASSERT_EQ(disk.lines.size(), 1u);
  EXPECT_NE(disk.lines[0].find("treating everything as dirty"), std::string::npos);
  EXPECT_TRUE(log->uncertain().everything());
  // A crash before the release: still everything.
  ASSERT_EQ(log->before_write(1, write_at("f", 0), [](io::Error) {}).what, Admission::wait_for_go);
  disk.settle();
  disk.fs.crash();
  log = disk.open(kNoAhead);
  EXPECT_TRUE(disk.load(*log, true).dirty.everything());
  log->release_recovered();
  disk.compact(*log);
  disk.fs.crash();
  log = disk.open(kNoAhead);
  const LoadedActivity clean = disk.load(*log, true);
  EXPECT_EQ(clean.state, RecordState::loaded);
  EXPECT_FALSE(clean.dirty.everything());
}

TEST(ActivityLog, every_truncation_and_every_flipped_byte_of_its_record_is_detected) {
  Disk disk;
  auto log = disk.started();
  log->before_write(1, write_at("dir/file", 9 * kMiB), [](io::Error) {});
  log->before_write(2, {.kind = OpKind::rename, .path = "a", .target = "b"}, [](io::Error) {});
  log->before_write(3, {.kind = OpKind::truncate, .path = "t", .size_bytes = 1}, [](io::Error) {});
  disk.settle();
  const io::Bytes good = *disk.fs.contents("/state/activity");
  auto loads_damaged = [&](io::ByteView bytes) {
    disk.fs.install_file("/state/activity", bytes);
    auto reloaded = disk.open(kNoAhead);
    const LoadedActivity loaded = disk.load(*reloaded, true);
    return loaded.state == RecordState::damaged && loaded.dirty.everything();
  };
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_TRUE(loads_damaged(io::ByteView(good).first(size))) << "cut to " << size;
  }
  for (std::size_t i = 0; i < good.size(); ++i) {
    io::Bytes damaged = good;
    damaged[i] ^= 0x10;
    EXPECT_TRUE(loads_damaged(damaged)) << "byte " << i;
  }
  EXPECT_FALSE(loads_damaged(good));
}

TEST(ActivityLog, a_lost_record_loads_as_everything_dirty) {
  Disk disk;
  auto log = disk.open(kNoAhead);
  const LoadedActivity loaded = disk.load(*log, true);
  EXPECT_EQ(loaded.state, RecordState::missing);
  EXPECT_TRUE(loaded.dirty.everything());
  EXPECT_EQ(disk.lines.size(), 1u);
}

TEST(ActivityLog, a_failed_record_write_fails_waiting_writers_and_refuses_unrecorded_ones) {
  Disk disk;
  fsim::FaultyFs faulty(disk.fs, disk.scheduler, io::Prng(9));
  auto log = disk.open(kNoAhead, &faulty);
  disk.load(*log, false);
  ASSERT_EQ(log->before_write(1, write_at("f", 0), [](io::Error) {}).what, Admission::wait_for_go);
  disk.settle();
  faulty.fail_next(fsim::FaultKind::fsync, 1);
  std::vector<io::Error> results;
  ASSERT_EQ(log->before_write(2, write_at("g", 0), [&](io::Error e) { results.push_back(e); }).what, Admission::wait_for_go);
  disk.settle();
  EXPECT_EQ(results, std::vector<io::Error>{io::Error::io_error});
  EXPECT_TRUE(log->failed());
  EXPECT_EQ(disk.lines.size(), 1u);
  const Admit refused = log->before_write(3, write_at("h", 0), [](io::Error) { ADD_FAILURE(); });
  EXPECT_EQ(refused.what, Admission::refused);
  EXPECT_EQ(refused.error, io::Error::io_error);
  // What the record already covers may still go.
  EXPECT_EQ(log->before_write(3, write_at("f", 10), [](io::Error) {}).what, Admission::proceed_now);
}

TEST(ActivityLog, uncertain_holds_the_blocks_written_in_each_active_extent_and_the_names) {
  Disk disk;
  auto log = disk.started({.extent_bytes = 64 * 1024, .block_bytes = 4096, .max_active = 32, .extents_ahead = 0});
  log->before_write(1, write_at("f", 3 * 4096, 10), [](io::Error) {});
  log->before_write(2, write_at("f", 7 * 4096 + 4000, 200), [](io::Error) {});  // blocks 7 and 8
  log->before_write(3, write_at("f", 15 * 4096, 2 * 4096), [](io::Error) {});   // crosses into extent 1
  log->before_write(4, {.kind = OpKind::truncate, .path = "g", .size_bytes = 70000}, [](io::Error) {});
  log->before_write(5, {.kind = OpKind::truncate, .path = "g", .size_bytes = 66000}, [](io::Error) {});
  log->before_write(6, {.kind = OpKind::rename, .path = "a", .target = "b"}, [](io::Error) {});
  log->before_write(7, {.kind = OpKind::create, .path = "c"}, [](io::Error) {});
  disk.settle();
  const DirtyMap uncertain = log->uncertain();
  EXPECT_EQ(uncertain.find({0, "f"})->ranges, (std::vector<BlockRange>{{3, 4}, {7, 9}, {15, 17}}));
  EXPECT_EQ(uncertain.find({0, "g"})->ranges, (std::vector<BlockRange>{{66000 / 4096, kToEndOfFile}}));
  EXPECT_TRUE(uncertain.find({0, "a"})->whole);
  EXPECT_TRUE(uncertain.find({0, "b"})->whole);
  EXPECT_TRUE(uncertain.find({0, "c"})->name_changed);
  EXPECT_FALSE(uncertain.find({0, "c"})->whole);
  // After a crash only whole extents are known.
  disk.fs.crash();
  auto reloaded = disk.open({.extent_bytes = 64 * 1024, .block_bytes = 4096, .max_active = 32, .extents_ahead = 0});
  const LoadedActivity loaded = disk.load(*reloaded, true);
  EXPECT_EQ(loaded.dirty.find({0, "f"})->ranges, (std::vector<BlockRange>{{0, 32}}));
  EXPECT_EQ(loaded.dirty.find({0, "g"})->ranges, (std::vector<BlockRange>{{16, kToEndOfFile}}));
  EXPECT_EQ(loaded.entries, 6u);  // f:0, f:1, g's tail, a, b, c
}

// Random ops through the log on a primary (with a secondary and durable checkpoints),
// cut by a power failure at a random point: every op that could have reached the
// primary's disk — every op issued and not yet durable on both — has its entries in
// the record found after the crash.
TEST(ActivityLog, every_op_that_may_have_reached_the_disk_is_recorded_when_the_power_fails) {
  for (const std::uint64_t seed : testing::test_seeds(40)) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const ActivityOptions options{.extent_bytes = 64 * 1024, .block_bytes = 4096, .max_active = 24};
    testing::Harness harness(seed, options);
    harness.start_primary(false, 1 + harness.rng().below(8));
    harness.run(400, harness.rng().below(3000));
    const std::uint64_t retired = harness.retired_through();
    const std::vector<FileOp> issued = harness.issued_ops();
    std::vector<std::vector<ActiveKey>> needed;
    for (std::uint64_t sequence = retired + 1; sequence <= issued.size(); ++sequence) {
      needed.push_back(harness.log().keys_of(issued[sequence - 1]));
    }
    harness.crash_primary();
    harness.restart_primary();
    const std::vector<ActiveKey> found = harness.log().active_keys();
    for (const auto& keys : needed) {
      for (const ActiveKey& key : keys) {
        ASSERT_TRUE(std::binary_search(found.begin(), found.end(), key))
            << active_kind_name(key.kind) << " " << key.file.path << " #" << key.index << " is not in the record";
      }
    }
  }
}

}  // namespace
}  // namespace hamirror::core
