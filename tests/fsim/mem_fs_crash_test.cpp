// MemFs's power-cut model: what survives crash() and what does not.
#include <gtest/gtest.h>

#include <set>

#include "fs_sync.h"
#include "fsim/mem_fs.h"

namespace hamirror::fsim {
namespace {

using testing::bytes_of;
using testing::Disk;
using testing::kCreate;
using testing::kReadWrite;
using testing::keeping_everything_unsynced;
using testing::losing_everything_unsynced;
using testing::text_of;

constexpr int kSeeds = 300;

TEST(MemFsCrash, loses_unsynced_data_and_keeps_fsynced_data) {
  Disk disk(1, losing_everything_unsynced());
  disk.fs.install_directory("/data");
  auto file = disk.sync.open("/data/log", kCreate);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(disk.sync.fsync_dir("/data"), io::Error::ok);
  ASSERT_TRUE(disk.sync.write(*file, 0, "synced;").ok());
  ASSERT_EQ(disk.sync.fsync(*file), io::Error::ok);
  ASSERT_TRUE(disk.sync.write(*file, 7, "unsynced").ok());
  ASSERT_EQ(disk.sync.truncate(*file, 3), io::Error::ok);
  EXPECT_EQ(text_of(disk.fs.contents("/data/log")), "syn");
  EXPECT_EQ(text_of(disk.fs.durable_contents("/data/log")), "synced;");

  disk.fs.crash();
  EXPECT_EQ(text_of(disk.fs.contents("/data/log")), "synced;");
  EXPECT_EQ(disk.fs.crash_count(), 1u);
}

// syncfs: one flush of the disk, whatever path names it, makes every file's data and
// every directory's entries durable, a new directory's files included.
TEST(MemFsCrash, keeps_everything_written_before_a_sync_of_the_file_system) {
  Disk disk(1, losing_everything_unsynced());
  disk.fs.install_directory("/data");
  ASSERT_EQ(disk.sync.mkdir("/data/new"), io::Error::ok);
  auto made = disk.sync.open("/data/new/made", kCreate);
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(disk.sync.write(*made, 0, "kept").ok());
  ASSERT_EQ(disk.sync.rename("/data/new/made", "/data/moved"), io::Error::ok);
  ASSERT_EQ(disk.sync.sync_file_system("/data/new"), io::Error::ok);
  ASSERT_TRUE(disk.sync.write(*made, 4, ";lost").ok());
  ASSERT_EQ(disk.sync.mkdir("/data/late"), io::Error::ok);
  EXPECT_EQ(disk.sync.sync_file_system("/missing"), io::Error::not_found);

  disk.fs.crash();
  EXPECT_EQ(text_of(disk.fs.contents("/data/moved")), "kept");
  EXPECT_FALSE(disk.fs.contents("/data/new/made").has_value());
  EXPECT_TRUE(disk.sync.stat("/data/new").ok());
  EXPECT_FALSE(disk.sync.stat("/data/late").ok()) << "made after the flush, never synced";
}

TEST(MemFsCrash, never_loses_fsynced_data_whatever_the_draws) {
  for (int seed = 1; seed <= kSeeds; ++seed) {
    Disk disk(seed);
    disk.fs.install_file("/f", bytes_of("0123456789"));
    auto file = disk.sync.open("/f", kReadWrite);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(disk.sync.write(*file, 2, "ab").ok());
    ASSERT_EQ(disk.sync.fsync(*file), io::Error::ok);
    ASSERT_TRUE(disk.sync.write(*file, 20, "zz").ok());
    disk.fs.crash();
    const std::string after = text_of(disk.fs.contents("/f"));
    ASSERT_GE(after.size(), 10u) << "seed " << seed;
    EXPECT_EQ(after.substr(0, 10), "01ab456789") << "seed " << seed;
  }
}

TEST(MemFsCrash, makes_every_handle_invalid_and_drops_undelivered_completions) {
  Disk disk(1, keeping_everything_unsynced());
  disk.fs.install_file("/f", bytes_of("x"));
  auto file = disk.sync.open("/f", kReadWrite);
  ASSERT_TRUE(file.ok());
  bool delivered = false;
  disk.fs.write(*file, 0, io::as_bytes("y"), [&](io::Result<std::uint64_t>) { delivered = true; });
  disk.fs.crash();
  disk.scheduler.run_for(io::kNsPerS);
  EXPECT_FALSE(delivered) << "a completion of the crashed process was delivered";
  EXPECT_EQ(disk.fs.open_file_count(), 0u);
  EXPECT_EQ(disk.sync.read(*file, 0, 1).error(), io::Error::bad_handle);
  EXPECT_EQ(disk.sync.close(*file), io::Error::bad_handle);
  // Handle numbers are not reused: the next open gets a new one.
  auto reopened = disk.sync.open("/f", kReadWrite);
  ASSERT_TRUE(reopened.ok());
  EXPECT_NE(*reopened, *file);
}

TEST(MemFsCrash, loses_a_created_file_whose_directory_was_not_fsynced) {
  Disk disk(1, keeping_everything_unsynced());
  disk.fs.install_directory("/data");
  ASSERT_EQ(disk.sync.write_file("/data/new", "contents", true), io::Error::ok);
  EXPECT_FALSE(disk.fs.durable_contents("/data/new").has_value());
  disk.fs.crash();
  EXPECT_FALSE(disk.fs.contents("/data/new").has_value());
  EXPECT_EQ(disk.fs.tree(), (std::vector<TreeEntry>{{"/data", io::FileKind::directory, 0}}));
}

TEST(MemFsCrash, keeps_a_created_file_once_its_directory_was_fsynced) {
  Disk disk(1, losing_everything_unsynced());
  disk.fs.install_directory("/data");
  ASSERT_EQ(disk.sync.write_file("/data/new", "contents", true), io::Error::ok);
  ASSERT_EQ(disk.sync.fsync_dir("/data"), io::Error::ok);
  disk.fs.crash();
  EXPECT_EQ(text_of(disk.fs.contents("/data/new")), "contents");
}

TEST(MemFsCrash, keeps_a_created_file_empty_when_only_its_directory_was_fsynced) {
  Disk disk(1, losing_everything_unsynced());
  disk.fs.install_directory("/data");
  ASSERT_EQ(disk.sync.write_file("/data/new", "contents", false), io::Error::ok);
  ASSERT_EQ(disk.sync.fsync_dir("/data"), io::Error::ok);
  disk.fs.crash();
  EXPECT_EQ(text_of(disk.fs.contents("/data/new")), "");
}

TEST(MemFsCrash, loses_a_new_directory_until_its_parent_is_fsynced) {
  Disk disk(1, keeping_everything_unsynced());
  ASSERT_EQ(disk.sync.mkdir("/a"), io::Error::ok);
  ASSERT_EQ(disk.sync.mkdir("/a/b"), io::Error::ok);
  ASSERT_EQ(disk.sync.fsync_dir("/a"), io::Error::ok);  // b is durable in a, a is not in /
  disk.fs.crash();
  EXPECT_TRUE(disk.fs.tree().empty());

  ASSERT_EQ(disk.sync.mkdir("/a"), io::Error::ok);
  ASSERT_EQ(disk.sync.fsync_dir("/"), io::Error::ok);
  disk.fs.crash();
  EXPECT_EQ(disk.fs.tree(), (std::vector<TreeEntry>{{"/a", io::FileKind::directory, 0}}));
}

TEST(MemFsCrash, rename_is_not_durable_until_its_directory_is_fsynced) {
  Disk disk(1, keeping_everything_unsynced());
  disk.fs.install_file("/data/a", bytes_of("A"));
  ASSERT_EQ(disk.sync.rename("/data/a", "/data/b"), io::Error::ok);
  disk.fs.crash();
  EXPECT_EQ(text_of(disk.fs.contents("/data/a")), "A");
  EXPECT_FALSE(disk.fs.contents("/data/b").has_value());

  ASSERT_EQ(disk.sync.rename("/data/a", "/data/b"), io::Error::ok);
  ASSERT_EQ(disk.sync.fsync_dir("/data"), io::Error::ok);
  disk.fs.crash();
  EXPECT_FALSE(disk.fs.contents("/data/a").has_value());
  EXPECT_EQ(text_of(disk.fs.contents("/data/b")), "A");
}

TEST(MemFsCrash, rename_over_a_file_keeps_the_old_target_until_the_directory_is_fsynced) {
  Disk disk(1, keeping_everything_unsynced());
  disk.fs.install_file("/data/target", bytes_of("old"));
  disk.fs.install_file("/data/tmp", bytes_of("new"));
  ASSERT_EQ(disk.sync.rename("/data/tmp", "/data/target"), io::Error::ok);
  EXPECT_EQ(text_of(disk.fs.durable_contents("/data/target")), "old");
  disk.fs.crash();
  EXPECT_EQ(text_of(disk.fs.contents("/data/target")), "old");
  EXPECT_EQ(text_of(disk.fs.contents("/data/tmp")), "new");
}

TEST(MemFsCrash, rename_between_directories_needs_both_directories_fsynced) {
  auto setup = [](Disk& disk) {
    disk.fs.install_file("/src/f", bytes_of("F"));
    disk.fs.install_directory("/dst");
    ASSERT_EQ(disk.sync.rename("/src/f", "/dst/f"), io::Error::ok);
  };
  {
    Disk disk;  // only the target directory: both names survive, like a hard link
    setup(disk);
    ASSERT_EQ(disk.sync.fsync_dir("/dst"), io::Error::ok);
    disk.fs.crash();
    EXPECT_EQ(text_of(disk.fs.contents("/src/f")), "F");
    EXPECT_EQ(text_of(disk.fs.contents("/dst/f")), "F");
  }
  {
    Disk disk;  // only the source directory: the file is gone
    setup(disk);
    ASSERT_EQ(disk.sync.fsync_dir("/src"), io::Error::ok);
    disk.fs.crash();
    EXPECT_FALSE(disk.fs.contents("/src/f").has_value());
    EXPECT_FALSE(disk.fs.contents("/dst/f").has_value());
  }
  {
    Disk disk;
    setup(disk);
    ASSERT_EQ(disk.sync.fsync_dir("/src"), io::Error::ok);
    ASSERT_EQ(disk.sync.fsync_dir("/dst"), io::Error::ok);
    disk.fs.crash();
    EXPECT_FALSE(disk.fs.contents("/src/f").has_value());
    EXPECT_EQ(text_of(disk.fs.contents("/dst/f")), "F");
  }
}

TEST(MemFsCrash, unlink_is_undone_unless_the_directory_was_fsynced) {
  Disk disk;
  disk.fs.install_file("/data/f", bytes_of("still here"));
  ASSERT_EQ(disk.sync.unlink("/data/f"), io::Error::ok);
  disk.fs.crash();
  EXPECT_EQ(text_of(disk.fs.contents("/data/f")), "still here");
  ASSERT_EQ(disk.sync.unlink("/data/f"), io::Error::ok);
  ASSERT_EQ(disk.sync.fsync_dir("/data"), io::Error::ok);
  disk.fs.crash();
  EXPECT_FALSE(disk.fs.contents("/data/f").has_value());
}

TEST(MemFsCrash, an_unlinked_file_written_while_open_comes_back_with_its_synced_data) {
  Disk disk(1, losing_everything_unsynced());
  disk.fs.install_file("/f", bytes_of("v1"));
  auto file = disk.sync.open("/f", kReadWrite);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(disk.sync.unlink("/f"), io::Error::ok);
  ASSERT_TRUE(disk.sync.write(*file, 0, "v2").ok());
  ASSERT_EQ(disk.sync.fsync(*file), io::Error::ok);
  ASSERT_EQ(disk.sync.close(*file), io::Error::ok);
  disk.fs.crash();
  EXPECT_EQ(text_of(disk.fs.contents("/f")), "v2");  // the unlink was never made durable
}

TEST(MemFsCrash, a_directory_moved_between_unsynced_parents_survives_under_one_name) {
  Disk disk;
  disk.fs.install_directory("/a");
  disk.fs.install_directory("/b");
  // Build durable entries a -> b and b -> a: a cycle that no current tree ever had.
  ASSERT_EQ(disk.sync.rename("/b", "/a/b"), io::Error::ok);
  ASSERT_EQ(disk.sync.fsync_dir("/a"), io::Error::ok);
  ASSERT_EQ(disk.sync.rename("/a/b", "/b"), io::Error::ok);
  ASSERT_EQ(disk.sync.rename("/a", "/b/a"), io::Error::ok);
  ASSERT_EQ(disk.sync.fsync_dir("/b"), io::Error::ok);
  disk.fs.crash();
  // Walking in name order reaches a first, then b inside it; b's entry for a closes
  // the cycle and is dropped, and so is the root's second name for b.
  EXPECT_EQ(disk.fs.tree(), (std::vector<TreeEntry>{{"/a", io::FileKind::directory, 0},
                                                    {"/a/b", io::FileKind::directory, 0}}));
  // The rebuilt tree is an ordinary one again: rmdir works bottom up.
  EXPECT_EQ(disk.sync.rmdir("/a"), io::Error::not_empty);
}

TEST(MemFsCrash, data_that_survived_a_crash_is_durable_afterwards) {
  for (int seed = 1; seed <= 50; ++seed) {
    Disk disk(seed);
    disk.fs.install_file("/f", bytes_of(""));
    auto file = disk.sync.open("/f", kReadWrite);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(disk.sync.write(*file, 0, "abcdefgh").ok());
    disk.fs.crash();
    const auto survived = disk.fs.contents("/f");
    EXPECT_EQ(disk.fs.durable_contents("/f"), survived);
    disk.fs.crash();
    EXPECT_EQ(disk.fs.contents("/f"), survived) << "seed " << seed;
  }
}

// Rebuilds what the report says survived, to check contents against the decisions.
std::string expected_from(const CrashReport& report) {
  std::string data;
  const std::string writes[2] = {"AAAA", "BBBB"};
  for (const auto& decision : report.decisions) {
    if (decision.fate == CrashFate::dropped) continue;
    const std::uint64_t offset = decision.change_index * 4;
    if (data.size() < offset + decision.bytes_kept) data.resize(offset + decision.bytes_kept, '\0');
    data.replace(offset, decision.bytes_kept, writes[decision.change_index].substr(0, decision.bytes_kept));
  }
  return data;
}

TEST(MemFsCrash, across_seeds_a_later_write_may_survive_an_earlier_lost_one_and_writes_tear) {
  std::set<std::pair<CrashFate, CrashFate>> outcomes;
  bool later_kept_earlier_lost = false;
  bool torn = false;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    Disk disk(seed);
    disk.fs.install_file("/f", bytes_of(""));
    auto file = disk.sync.open("/f", kReadWrite);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(disk.sync.write(*file, 0, "AAAA").ok());
    ASSERT_TRUE(disk.sync.write(*file, 4, "BBBB").ok());
    const CrashReport report = disk.fs.crash();
    ASSERT_EQ(report.decisions.size(), 2u);
    const std::string after = text_of(disk.fs.contents("/f"));
    EXPECT_EQ(after, expected_from(report)) << "seed " << seed;
    outcomes.emplace(report.decisions[0].fate, report.decisions[1].fate);
    if (after == std::string("\0\0\0\0BBBB", 8)) later_kept_earlier_lost = true;
    for (const auto& decision : report.decisions) {
      if (decision.fate != CrashFate::torn) continue;
      torn = true;
      EXPECT_GT(decision.bytes_kept, 0u);
      EXPECT_LT(decision.bytes_kept, decision.bytes_total);
    }
  }
  EXPECT_TRUE(later_kept_earlier_lost);
  EXPECT_TRUE(torn);
  EXPECT_EQ(outcomes.size(), 9u) << "every pair of fates should occur over the seeds";
}

TEST(MemFsCrash, an_unsynced_truncate_survives_or_vanishes) {
  bool kept = false;
  bool lost = false;
  for (int seed = 1; seed <= 50; ++seed) {
    Disk disk(seed);
    disk.fs.install_file("/f", bytes_of("0123456789"));
    auto file = disk.sync.open("/f", kReadWrite);
    ASSERT_TRUE(file.ok());
    ASSERT_EQ(disk.sync.truncate(*file, 4), io::Error::ok);
    disk.fs.crash();
    const std::string after = text_of(disk.fs.contents("/f"));
    ASSERT_TRUE(after == "0123" || after == "0123456789") << after;
    (after == "0123" ? kept : lost) = true;
  }
  EXPECT_TRUE(kept);
  EXPECT_TRUE(lost);
}

TEST(MemFsCrash, records_its_decisions_in_the_trace) {
  Disk disk(3, keeping_everything_unsynced());
  disk.fs.install_file("/f", bytes_of(""));
  auto file = disk.sync.open("/f", kReadWrite);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(disk.sync.write(*file, 0, "abc").ok());
  disk.fs.crash();
  bool saw_decision = false;
  for (const auto& line : disk.trace.recent_lines()) {
    if (line.find("crash /f change 0 (write @0 +3): kept") != std::string::npos) saw_decision = true;
  }
  EXPECT_TRUE(saw_decision);
}

}  // namespace
}  // namespace hamirror::fsim
