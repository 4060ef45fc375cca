// io::write_file_atomically against the simulated disk: a crash at any point leaves
// the old or the new contents, and done(ok) means the new ones are durable.
#include "io/atomic_file.h"

#include <gtest/gtest.h>

#include <optional>

#include "fs_sync.h"
#include "fsim/faulty_fs.h"
#include "fsim/mem_fs.h"
#include "fsim/slow_fs.h"

namespace hamirror::fsim {
namespace {

using testing::bytes_of;
using testing::Disk;
using testing::text_of;

constexpr int kSeeds = 40;
constexpr std::uint64_t kStepLimit = 1000;  // far more than one replacement needs
const std::string kPath = "/data/state";
const std::string kOld = "old contents, long enough to tear";
const std::string kNew = "NEW CONTENTS, also long enough to tear, and longer";

// Starts a replacement over fs, runs `steps` scheduler steps (or to the end), crashes
// the disk, and checks what the state file holds. Returns whether done(ok) fired.
struct CrashPoint {
  bool completed = false;
  bool done_ok = false;
  std::string after_crash;
};

CrashPoint replace_then_crash(Disk& disk, io::FileSystem& fs, std::uint64_t steps) {
  auto result = std::make_shared<std::optional<io::Error>>();
  io::write_file_atomically(fs, kPath, io::as_bytes(kNew), [result](io::Error error) { *result = error; });
  for (std::uint64_t i = 0; i < steps && !result->has_value() && disk.scheduler.step(); ++i) {
  }
  CrashPoint point;
  point.completed = result->has_value();
  point.done_ok = point.completed && **result == io::Error::ok;
  disk.fs.crash();
  point.after_crash = text_of(disk.fs.contents(kPath));
  return point;
}

// How many scheduler steps a replacement takes with nothing going wrong.
std::uint64_t steps_to_complete(std::uint64_t seed) {
  Disk disk(seed);
  disk.fs.install_file(kPath, bytes_of(kOld));
  bool done = false;
  io::write_file_atomically(disk.fs, kPath, io::as_bytes(kNew), [&](io::Error) { done = true; });
  std::uint64_t steps = 0;
  while (!done && steps < kStepLimit && disk.scheduler.step()) ++steps;
  EXPECT_TRUE(done);
  return steps;
}

TEST(AtomicFileCrash, leaves_old_or_new_contents_after_a_crash_at_any_step) {
  const std::uint64_t total_steps = steps_to_complete(1);
  ASSERT_GT(total_steps, 5u);
  bool saw_old = false;
  bool saw_new = false;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    for (std::uint64_t steps = 0; steps <= total_steps; ++steps) {
      Disk disk(seed);
      disk.fs.install_file(kPath, bytes_of(kOld));
      const CrashPoint point = replace_then_crash(disk, disk.fs, steps);
      ASSERT_TRUE(point.after_crash == kOld || point.after_crash == kNew)
          << "seed " << seed << " crash after " << steps << " steps: '" << point.after_crash << "'";
      if (point.done_ok) {
        EXPECT_EQ(point.after_crash, kNew) << "seed " << seed << " steps " << steps;
      }
      (point.after_crash == kOld ? saw_old : saw_new) = true;
    }
  }
  EXPECT_TRUE(saw_old);
  EXPECT_TRUE(saw_new);
}

TEST(AtomicFileCrash, leaves_old_or_new_contents_over_a_slow_disk_with_a_stale_temp_file) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    for (std::uint64_t steps = 0; steps <= 40; ++steps) {
      Disk disk(seed);
      disk.fs.install_file(kPath, bytes_of(kOld));
      disk.fs.install_file(kPath + io::kAtomicTempSuffix, bytes_of("stale temp from an earlier crash, quite long"));
      SlowFs slow(disk.fs, disk.scheduler, io::Prng(seed + 1000),
                  SlowFsOptions{.latency_min_ns = 0, .latency_max_ns = io::kNsPerMs, .sync_latency_min_ns = io::kNsPerMs,
                                .sync_latency_max_ns = 5 * io::kNsPerMs});
      const CrashPoint point = replace_then_crash(disk, slow, steps);
      slow.cancel_pending();
      ASSERT_TRUE(point.after_crash == kOld || point.after_crash == kNew)
          << "seed " << seed << " crash after " << steps << " steps: '" << point.after_crash << "'";
      if (point.done_ok) {
        EXPECT_EQ(point.after_crash, kNew);
      }
    }
  }
}

TEST(AtomicFileCrash, leaves_old_or_new_contents_when_the_disk_fails_calls) {
  int failures = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    for (std::uint64_t steps = 0; steps <= 20; steps += 2) {
      Disk disk(seed);
      disk.fs.install_file(kPath, bytes_of(kOld));
      FaultyFs faulty(disk.fs, disk.scheduler, io::Prng(seed + 2000),
                      FaultyFsOptions{.read_error_probability = 0.2, .write_error_probability = 0.2,
                                      .fsync_error_probability = 0.2, .fsync_dir_error_probability = 0.2});
      const CrashPoint point = replace_then_crash(disk, faulty, steps == 20 ? kStepLimit : steps);
      faulty.cancel_pending();
      ASSERT_TRUE(point.after_crash == kOld || point.after_crash == kNew)
          << "seed " << seed << " crash after " << steps << " steps: '" << point.after_crash << "'";
      if (point.done_ok) {
        EXPECT_EQ(point.after_crash, kNew);
      }
      if (point.completed && !point.done_ok) ++failures;
    }
  }
  EXPECT_GT(failures, 0) << "the faults should have failed some replacements";
}

TEST(AtomicFileCrash, a_replacement_after_a_crash_succeeds_and_is_durable) {
  Disk disk(7);
  disk.fs.install_file(kPath, bytes_of(kOld));
  replace_then_crash(disk, disk.fs, 3);  // leaves a stale temp file behind, or not
  bool done_ok = false;
  io::write_file_atomically(disk.fs, kPath, io::as_bytes(kNew), [&](io::Error error) { done_ok = error == io::Error::ok; });
  disk.scheduler.run_for(io::kNsPerS);
  ASSERT_TRUE(done_ok);
  EXPECT_EQ(text_of(disk.fs.durable_contents(kPath)), kNew);
  disk.fs.crash();
  EXPECT_EQ(text_of(disk.fs.contents(kPath)), kNew);
}

}  // namespace
}  // namespace hamirror::fsim
