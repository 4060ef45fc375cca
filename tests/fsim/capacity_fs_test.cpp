// CapacityFs: ENOSPC when the disk is full, as an error value.
#include "fsim/capacity_fs.h"

#include <gtest/gtest.h>

#include <optional>

#include "fs_sync.h"
#include "io/atomic_file.h"

namespace hamirror::fsim {
namespace {

using testing::bytes_of;
using testing::Disk;
using testing::kCreate;
using testing::kReadWrite;
using testing::Sync;
using testing::text_of;

TEST(CapacityFs, is_unlimited_by_default_but_still_counts) {
  Disk disk;
  CapacityFs capacity(disk.fs, disk.scheduler);
  Sync sync(capacity, disk.scheduler);
  auto file = sync.open("/big", kCreate);
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(sync.write(*file, 0, std::string(100'000, 'x')).ok());
  EXPECT_EQ(capacity.used_bytes(), 100'000u);
  EXPECT_EQ(capacity.capacity_bytes(), kUnlimitedBytes);
}

TEST(CapacityFs, a_write_past_capacity_fails_with_no_space_and_writes_nothing) {
  Disk disk;
  CapacityFs capacity(disk.fs, disk.scheduler, CapacityFsOptions{.capacity_bytes = 10});
  Sync sync(capacity, disk.scheduler);
  auto file = sync.open("/f", kCreate);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(sync.write(*file, 0, "12345678").value(), 8u);
  EXPECT_EQ(sync.write(*file, 8, "abc").error(), io::Error::no_space);
  EXPECT_EQ(text_of(disk.fs.contents("/f")), "12345678");
  EXPECT_EQ(capacity.used_bytes(), 8u);
  // Overwriting in place needs no new space; filling up exactly is allowed.
  EXPECT_EQ(sync.write(*file, 0, "ABCDEFGH").value(), 8u);
  EXPECT_EQ(sync.write(*file, 8, "ab").value(), 2u);
  EXPECT_EQ(capacity.used_bytes(), 10u);
  EXPECT_EQ(sync.write(*file, 10, "!").error(), io::Error::no_space);
  EXPECT_EQ(sync.truncate(*file, 11), io::Error::no_space);
  EXPECT_EQ(sync.write(*file, 0, "").value(), 0u);
}

TEST(CapacityFs, unlink_truncate_and_rename_over_a_file_free_space) {
  Disk disk;
  CapacityFs capacity(disk.fs, disk.scheduler, CapacityFsOptions{.capacity_bytes = 100});
  Sync sync(capacity, disk.scheduler);
  ASSERT_EQ(sync.write_file("/a", std::string(40, 'a'), false), io::Error::ok);
  ASSERT_EQ(sync.write_file("/b", std::string(30, 'b'), false), io::Error::ok);
  ASSERT_EQ(sync.write_file("/c", std::string(20, 'c'), false), io::Error::ok);
  EXPECT_EQ(capacity.used_bytes(), 90u);

  ASSERT_EQ(sync.unlink("/a"), io::Error::ok);
  EXPECT_EQ(capacity.used_bytes(), 50u);
  ASSERT_EQ(sync.rename("/c", "/b"), io::Error::ok);  // b's 30 bytes are gone
  EXPECT_EQ(capacity.used_bytes(), 20u);
  auto file = sync.open("/b", kReadWrite);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(sync.truncate(*file, 5), io::Error::ok);
  EXPECT_EQ(capacity.used_bytes(), 5u);
  ASSERT_EQ(sync.close(*file), io::Error::ok);
  // Re-creating with truncate frees the old size before the new write counts.
  ASSERT_EQ(sync.write_file("/b", std::string(100, 'n'), false), io::Error::ok);
  EXPECT_EQ(capacity.used_bytes(), 100u);
  // Failed calls free nothing.
  EXPECT_EQ(sync.unlink("/missing"), io::Error::not_found);
  EXPECT_EQ(capacity.used_bytes(), 100u);
}

TEST(CapacityFs, write_file_atomically_reports_no_space) {
  Disk disk;
  disk.fs.install_file("/data/state", bytes_of("old"));
  CapacityFs capacity(disk.fs, disk.scheduler, CapacityFsOptions{.capacity_bytes = 8, .used_bytes = 3});
  std::optional<io::Error> result;
  io::write_file_atomically(capacity, "/data/state", io::as_bytes("too long"), [&](io::Error error) { result = error; });
  disk.scheduler.run_for(io::kNsPerS);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, io::Error::no_space);
  EXPECT_EQ(text_of(disk.fs.contents("/data/state")), "old");
}

TEST(CapacityFs, recount_measures_the_files_already_on_the_disk) {
  Disk disk;
  disk.fs.install_file("/data/a", bytes_of("12345"));
  disk.fs.install_file("/data/sub/b", bytes_of("123"));
  disk.fs.install_file("/c", bytes_of("1"));
  CapacityFs capacity(disk.fs, disk.scheduler, CapacityFsOptions{.capacity_bytes = 10});
  EXPECT_EQ(capacity.used_bytes(), 0u);
  std::optional<io::Error> result;
  capacity.recount("/", [&](io::Error error) { result = error; });
  EXPECT_FALSE(result.has_value());
  disk.scheduler.run_for(io::kNsPerS);
  ASSERT_EQ(result, io::Error::ok);
  EXPECT_EQ(capacity.used_bytes(), 9u);

  Sync sync(capacity, disk.scheduler);
  auto file = sync.open("/c", kReadWrite);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(sync.write(*file, 1, "2").value(), 1u);
  EXPECT_EQ(sync.write(*file, 2, "3").error(), io::Error::no_space);
}

}  // namespace
}  // namespace hamirror::fsim
