// SlowFs: latency in virtual time before each call reaches the disk.
#include "fsim/slow_fs.h"

#include <gtest/gtest.h>

#include <set>

#include "fs_sync.h"

namespace hamirror::fsim {
namespace {

using testing::bytes_of;
using testing::Disk;
using testing::kCreate;
using testing::Sync;
using testing::text_of;

TEST(SlowFs, adds_no_latency_by_default) {
  Disk disk;
  SlowFs slow(disk.fs, disk.scheduler, io::Prng(4));
  Sync sync(slow, disk.scheduler);
  ASSERT_EQ(sync.mkdir("/d"), io::Error::ok);
  EXPECT_EQ(disk.scheduler.now_ns(), 0);
}

TEST(SlowFs, a_fixed_latency_delays_every_completion_by_that_much) {
  Disk disk;
  const std::int64_t latency_ns = 3 * io::kNsPerMs;
  SlowFs slow(disk.fs, disk.scheduler, io::Prng(4), SlowFsOptions{.latency_min_ns = latency_ns, .latency_max_ns = latency_ns});
  bool done = false;
  slow.mkdir("/d", [&](io::Error error) {
    EXPECT_EQ(error, io::Error::ok);
    done = true;
  });
  disk.scheduler.run_for(latency_ns - 1);
  EXPECT_FALSE(done);
  EXPECT_TRUE(disk.fs.tree().empty()) << "the call must not reach the disk before its latency";
  disk.scheduler.run_for(1);
  EXPECT_TRUE(done);

  Sync sync(slow, disk.scheduler);
  const std::int64_t before_ns = disk.scheduler.now_ns();
  auto file = sync.open("/d/f", kCreate);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(sync.write(*file, 0, "x").ok());
  ASSERT_EQ(sync.close(*file), io::Error::ok);
  EXPECT_EQ(disk.scheduler.now_ns() - before_ns, 3 * latency_ns);
}

TEST(SlowFs, sync_latency_adds_to_fsync_and_fsync_dir_only) {
  Disk disk;
  SlowFs slow(disk.fs, disk.scheduler, io::Prng(4),
              SlowFsOptions{.latency_min_ns = io::kNsPerMs, .latency_max_ns = io::kNsPerMs,
                            .sync_latency_min_ns = 10 * io::kNsPerMs, .sync_latency_max_ns = 10 * io::kNsPerMs});
  Sync sync(slow, disk.scheduler);
  auto file = sync.open("/f", kCreate);
  ASSERT_TRUE(file.ok());
  std::int64_t start_ns = disk.scheduler.now_ns();
  ASSERT_EQ(sync.fsync(*file), io::Error::ok);
  EXPECT_EQ(disk.scheduler.now_ns() - start_ns, 11 * io::kNsPerMs);
  start_ns = disk.scheduler.now_ns();
  ASSERT_EQ(sync.fsync_dir("/"), io::Error::ok);
  EXPECT_EQ(disk.scheduler.now_ns() - start_ns, 11 * io::kNsPerMs);
  start_ns = disk.scheduler.now_ns();
  ASSERT_TRUE(sync.stat("/f").ok());
  EXPECT_EQ(disk.scheduler.now_ns() - start_ns, io::kNsPerMs);
}

TEST(SlowFs, a_drawn_latency_stays_within_its_bounds_and_varies) {
  Disk disk;
  const std::int64_t min_ns = 2 * io::kNsPerMs;
  const std::int64_t max_ns = 7 * io::kNsPerMs;
  SlowFs slow(disk.fs, disk.scheduler, io::Prng(4), SlowFsOptions{.latency_min_ns = min_ns, .latency_max_ns = max_ns});
  Sync sync(slow, disk.scheduler);
  std::set<std::int64_t> seen;
  for (int i = 0; i < 200; ++i) {
    const std::int64_t start_ns = disk.scheduler.now_ns();
    ASSERT_TRUE(sync.stat("/").ok());
    const std::int64_t latency_ns = disk.scheduler.now_ns() - start_ns;
    EXPECT_GE(latency_ns, min_ns);
    EXPECT_LE(latency_ns, max_ns);
    seen.insert(latency_ns);
  }
  EXPECT_GT(seen.size(), 100u);
}

TEST(SlowFs, copies_written_bytes_before_the_call_returns) {
  Disk disk;
  disk.fs.install_file("/f", bytes_of(""));
  SlowFs slow(disk.fs, disk.scheduler, io::Prng(4), SlowFsOptions{.latency_min_ns = 5, .latency_max_ns = 5});
  Sync sync(slow, disk.scheduler);
  auto file = sync.open("/f", testing::kReadWrite);
  ASSERT_TRUE(file.ok());
  std::string buffer = "first";
  bool done = false;
  slow.write(*file, 0, io::as_bytes(buffer), [&](io::Result<std::uint64_t> written) { done = written.ok(); });
  buffer = "XXXXX";  // the caller reuses its buffer at once
  disk.scheduler.run_for(10);
  ASSERT_TRUE(done);
  EXPECT_EQ(text_of(disk.fs.contents("/f")), "first");
}

TEST(SlowFs, cancel_pending_drops_delayed_calls_before_they_reach_the_disk) {
  Disk disk;
  SlowFs slow(disk.fs, disk.scheduler, io::Prng(4), SlowFsOptions{.latency_min_ns = 100, .latency_max_ns = 100});
  bool delivered = false;
  slow.mkdir("/d", [&](io::Error) { delivered = true; });
  EXPECT_EQ(slow.delayed_calls(), 1u);
  disk.fs.crash();
  slow.cancel_pending();
  disk.scheduler.run_for(1000);
  EXPECT_FALSE(delivered);
  EXPECT_TRUE(disk.fs.tree().empty()) << "a call issued before the crash acted after it";
}

TEST(SlowFs, destroying_the_layer_cancels_its_delayed_calls) {
  Disk disk;
  bool delivered = false;
  {
    SlowFs slow(disk.fs, disk.scheduler, io::Prng(4), SlowFsOptions{.latency_min_ns = 100, .latency_max_ns = 100});
    slow.mkdir("/d", [&](io::Error) { delivered = true; });
  }
  disk.scheduler.run_for(1000);
  EXPECT_FALSE(delivered);
  EXPECT_TRUE(disk.fs.tree().empty());
}

}  // namespace
}  // namespace hamirror::fsim
