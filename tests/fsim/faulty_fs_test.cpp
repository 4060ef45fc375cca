// FaultyFs: EIO injected by probability or on demand, as error values.
#include "fsim/faulty_fs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fs_sync.h"
#include "io/atomic_file.h"
#include "sim/node_gate.h"

namespace hamirror::fsim {
namespace {

using testing::bytes_of;
using testing::Disk;
using testing::kCreate;
using testing::kReadWrite;
using testing::losing_everything_unsynced;
using testing::Sync;
using testing::text_of;

TEST(FaultyFs, injects_nothing_by_default) {
  Disk disk;
  FaultyFs faulty(disk.fs, disk.scheduler, io::Prng(9));
  Sync sync(faulty, disk.scheduler);
  for (int i = 0; i < 100; ++i) {
    auto file = sync.open("/f", kCreate);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(sync.write(*file, 0, "data").ok());
    ASSERT_TRUE(sync.read(*file, 0, 4).ok());
    ASSERT_EQ(sync.fsync(*file), io::Error::ok);
    ASSERT_EQ(sync.close(*file), io::Error::ok);
    ASSERT_EQ(sync.fsync_dir("/"), io::Error::ok);
  }
  EXPECT_EQ(faulty.faults_injected(), 0u);
}

TEST(FaultyFs, fail_next_fails_exactly_the_next_calls_of_that_kind) {
  Disk disk;
  disk.fs.install_file("/f", bytes_of("orig"));
  FaultyFs faulty(disk.fs, disk.scheduler, io::Prng(9));
  Sync sync(faulty, disk.scheduler);
  auto file = sync.open("/f", kReadWrite);
  ASSERT_TRUE(file.ok());

  faulty.fail_next(FaultKind::write, 2);
  EXPECT_EQ(sync.write(*file, 0, "XXXX").error(), io::Error::io_error);
  EXPECT_EQ(sync.read(*file, 0, 4).ok(), true);  // other kinds pass
  EXPECT_EQ(sync.write(*file, 0, "YYYY").error(), io::Error::io_error);
  EXPECT_EQ(text_of(disk.fs.contents("/f")), "orig") << "a failed write must not reach the disk";
  EXPECT_EQ(sync.write(*file, 0, "ZZZZ").value(), 4u);

  faulty.fail_next(FaultKind::read, 1);
  EXPECT_EQ(sync.read(*file, 0, 4).error(), io::Error::io_error);
  faulty.fail_next(FaultKind::fsync, 1);
  EXPECT_EQ(sync.fsync(*file), io::Error::io_error);
  faulty.fail_next(FaultKind::fsync_dir, 1, io::Error::no_space);
  EXPECT_EQ(sync.fsync_dir("/"), io::Error::no_space);
  EXPECT_EQ(sync.fsync_dir("/"), io::Error::ok);
  EXPECT_EQ(faulty.faults_injected(), 5u);
  EXPECT_EQ(sync.close(*file), io::Error::ok);
}

// read_ranges() has no override in the fault layers: the default chains open, fstat,
// the reads and close through them, so each step's faults still apply.
TEST(FaultyFs, read_ranges_goes_through_the_layers_calls_and_reports_a_failed_read) {
  Disk disk;
  disk.fs.install_file("/f", bytes_of("hello world"));
  FaultyFs faulty(disk.fs, disk.scheduler, io::Prng(9));
  auto read_ranges = [&] {
    auto result = std::make_shared<std::optional<io::Result<io::RangesRead>>>();
    faulty.read_ranges("/f", {{0, 5}, {6, 5}}, [result](io::Result<io::RangesRead> read) { result->emplace(std::move(read)); });
    EXPECT_FALSE(result->has_value()) << "the call completed inside itself";
    disk.scheduler.run_until([&] { return result->has_value(); }, disk.scheduler.now_ns() + testing::kCallBudgetNs);
    return result->has_value() ? std::move(**result) : io::Result<io::RangesRead>(io::Error::timed_out);
  };
  faulty.fail_next(FaultKind::read, 1);
  const auto failed = read_ranges();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(), io::Error::io_error);
  EXPECT_EQ(faulty.faults_injected(), 1u);
  EXPECT_EQ(disk.fs.open_file_count(), 0u) << "closed after the failed read";
  const auto read = read_ranges();
  ASSERT_TRUE(read.ok()) << io::error_name(read.error());
  ASSERT_EQ(read->chunks.size(), 2u);
  EXPECT_EQ(text_of(read->chunks[0]), "hello");
  EXPECT_EQ(text_of(read->chunks[1]), "world");
  EXPECT_EQ(read->stat.size_bytes, 11u);
  EXPECT_EQ(disk.fs.open_file_count(), 0u);
}

TEST(FaultyFs, a_failed_fsync_makes_nothing_durable) {
  Disk disk(1, losing_everything_unsynced());
  disk.fs.install_file("/f", bytes_of("v1"));
  FaultyFs faulty(disk.fs, disk.scheduler, io::Prng(9));
  Sync sync(faulty, disk.scheduler);
  auto file = sync.open("/f", kReadWrite);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(sync.write(*file, 0, "v2").ok());
  faulty.fail_next(FaultKind::fsync, 1);
  ASSERT_EQ(sync.fsync(*file), io::Error::io_error);
  disk.fs.crash();
  EXPECT_EQ(text_of(disk.fs.contents("/f")), "v1");
}

TEST(FaultyFs, probability_one_fails_every_call_of_its_kind_and_only_those) {
  Disk disk;
  disk.fs.install_file("/f", bytes_of("abc"));
  FaultyFs faulty(disk.fs, disk.scheduler, io::Prng(9), FaultyFsOptions{.read_error_probability = 1.0});
  Sync sync(faulty, disk.scheduler);
  auto file = sync.open("/f", kReadWrite);
  ASSERT_TRUE(file.ok());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(sync.read(*file, 0, 3).error(), io::Error::io_error);
  EXPECT_TRUE(sync.write(*file, 0, "x").ok());
  EXPECT_EQ(sync.fsync(*file), io::Error::ok);
}

TEST(FaultyFs, a_probability_fails_a_share_of_calls_deterministically_per_seed) {
  auto failures_with_seed = [](std::uint64_t seed) {
    Disk disk;
    disk.fs.install_file("/f", bytes_of("abc"));
    FaultyFs faulty(disk.fs, disk.scheduler, io::Prng(seed), FaultyFsOptions{.write_error_probability = 0.25});
    Sync sync(faulty, disk.scheduler);
    auto file = sync.open("/f", kReadWrite);
    std::vector<bool> failed;
    for (int i = 0; i < 400; ++i) failed.push_back(!sync.write(*file, 0, "x").ok());
    return failed;
  };
  const auto first = failures_with_seed(5);
  EXPECT_EQ(first, failures_with_seed(5));
  EXPECT_NE(first, failures_with_seed(6));
  const auto count = std::count(first.begin(), first.end(), true);
  EXPECT_GT(count, 60);
  EXPECT_LT(count, 140);
}

TEST(FaultyFs, write_file_atomically_reports_the_injected_error) {
  Disk disk;
  disk.fs.install_file("/data/state", bytes_of("old"));
  FaultyFs faulty(disk.fs, disk.scheduler, io::Prng(9));
  faulty.fail_next(FaultKind::fsync, 1);
  std::optional<io::Error> result;
  io::write_file_atomically(faulty, "/data/state", io::as_bytes("new"), [&](io::Error error) { result = error; });
  disk.scheduler.run_for(io::kNsPerS);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, io::Error::io_error);
  EXPECT_EQ(text_of(disk.fs.contents("/data/state")), "old");
  EXPECT_EQ(disk.fs.open_file_count(), 0u) << "the temp file's handle was closed";
}

// A frozen node's disk stack: the injected failure and the real completion are both
// held, then released in the order they came; cancel_pending drops held ones too.
TEST(FaultyFs, a_frozen_nodes_injected_failures_wait_for_the_thaw_like_its_disks_completions) {
  Disk disk;
  disk.fs.install_file("/f", bytes_of("orig"));
  sim::NodeGate gate(disk.scheduler, "node1");
  disk.fs.set_gate(&gate);
  FaultyFs faulty(disk.fs, disk.scheduler, io::Prng(9));
  faulty.set_gate(&gate);
  auto file = Sync(faulty, disk.scheduler).open("/f", kReadWrite);
  ASSERT_TRUE(file.ok());
  std::vector<std::string> seen;
  faulty.fail_next(FaultKind::write, 1);
  faulty.write(*file, 0, io::as_bytes("XXXX"), [&](auto r) { seen.push_back("w1 " + std::string(io::error_name(r.error()))); });
  faulty.write(*file, 0, io::as_bytes("YYYY"), [&](auto r) { seen.push_back("w2 " + std::string(io::error_name(r.error()))); });
  gate.freeze();
  disk.scheduler.run_for(io::kNsPerS);
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(text_of(disk.fs.contents("/f")), "YYYY") << "the write reached the disk on time";
  gate.thaw();
  disk.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(seen, (std::vector<std::string>{"w1 io_error", "w2 ok"}));

  seen.clear();
  faulty.fail_next(FaultKind::fsync, 1);
  faulty.fsync(*file, [&](io::Error r) { seen.push_back("fsync " + std::string(io::error_name(r))); });
  gate.freeze();
  disk.scheduler.run_for(io::kNsPerS);
  faulty.cancel_pending();  // the caller crashed
  gate.thaw();
  disk.scheduler.run_for(io::kNsPerS);
  EXPECT_TRUE(seen.empty());
}

}  // namespace
}  // namespace hamirror::fsim
