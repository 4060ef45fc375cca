#include "core/replication/op_applier.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fsim/mem_fs.h"
#include "sim/scheduler.h"

namespace hamirror::core {
namespace {

struct Disk {
  sim::Trace trace;
  sim::Scheduler scheduler{trace};
  fsim::MemFs fs{scheduler, io::Prng(1)};
  Disk() { fs.install_directory("/data"); }
  std::string contents(const std::string& path) {
    const auto bytes = fs.contents(path);
    return bytes ? std::string(bytes->begin(), bytes->end()) : "<missing>";
  }
};

FileOp write_op(const std::string& path, std::uint64_t offset, const std::string& text) {
  FileOp op{.kind = OpKind::write, .path = path, .offset = offset};
  op.data.assign(text.begin(), text.end());
  return op;
}

TEST(FileOp, relative_paths_cannot_escape_the_replicated_directory) {
  EXPECT_TRUE(is_valid_relative_path("a/b/c.txt"));
  EXPECT_FALSE(is_valid_relative_path(""));
  EXPECT_FALSE(is_valid_relative_path("/etc/passwd"));
  EXPECT_FALSE(is_valid_relative_path("a/../../etc"));
  EXPECT_FALSE(is_valid_relative_path("a//b"));
  EXPECT_FALSE(is_valid_relative_path("a/./b"));
  EXPECT_FALSE(is_valid_relative_path("a\\b"));
  EXPECT_FALSE(is_valid_relative_path("c:x"));
  EXPECT_EQ(native_path("/data", "a/b"), "/data/a/b");
  EXPECT_EQ(native_path("C:\\data", "a/b"), "C:\\data\\a\\b");
}

TEST(OpApplier, applies_ops_in_order_and_reports_each_result) {
  Disk disk;
  OpApplier applier(disk.fs, {"/data"});
  std::vector<std::pair<std::string, io::Error>> results;
  auto record = [&](std::string what) { return [&results, what](io::Error e) { results.emplace_back(what, e); }; };
  ASSERT_EQ(applier.apply({.kind = OpKind::mkdir, .path = "docs"}, record("mkdir")), io::Error::ok);
  ASSERT_EQ(applier.apply({.kind = OpKind::create, .path = "docs/a.txt", .exclusive = true}, record("create")), io::Error::ok);
  ASSERT_EQ(applier.apply(write_op("docs/a.txt", 0, "hello world"), record("write")), io::Error::ok);
  ASSERT_EQ(applier.apply(write_op("docs/a.txt", 6, "there"), record("overwrite")), io::Error::ok);
  ASSERT_EQ(applier.apply({.kind = OpKind::fsync, .path = "docs/a.txt"}, record("fsync")), io::Error::ok);
  ASSERT_EQ(applier.apply({.kind = OpKind::rename, .path = "docs/a.txt", .target = "docs/b.txt"}, record("rename")), io::Error::ok);
  ASSERT_EQ(applier.apply(write_op("docs/b.txt", 11, "!"), record("append")), io::Error::ok);
  ASSERT_EQ(applier.apply({.kind = OpKind::truncate, .path = "docs/b.txt", .size_bytes = 5}, record("truncate")), io::Error::ok);
  ASSERT_EQ(applier.apply({.kind = OpKind::create, .path = "docs/b.txt", .exclusive = true}, record("exclusive again")), io::Error::ok);
  ASSERT_EQ(applier.apply(write_op("missing.txt", 0, "x"), record("write missing")), io::Error::ok);
  disk.scheduler.run_until([&] { return results.size() == 10; }, io::kNsPerS);
  ASSERT_EQ(results.size(), 10u);
  const std::vector<std::pair<std::string, io::Error>> expected = {
      {"mkdir", io::Error::ok},     {"create", io::Error::ok},   {"write", io::Error::ok},
      {"overwrite", io::Error::ok}, {"fsync", io::Error::ok},    {"rename", io::Error::ok},
      {"append", io::Error::ok},    {"truncate", io::Error::ok}, {"exclusive again", io::Error::already_exists},
      {"write missing", io::Error::not_found}};
  EXPECT_EQ(results, expected);
  EXPECT_EQ(disk.contents("/data/docs/b.txt"), "hello");
  EXPECT_EQ(disk.contents("/data/docs/a.txt"), "<missing>");
}

TEST(OpApplier, fsync_makes_a_new_file_and_its_entry_survive_a_crash) {
  Disk disk;
  {
    OpApplier applier(disk.fs, {"/data"});
    int done = 0;
    auto count = [&](io::Error e) { EXPECT_EQ(e, io::Error::ok); ++done; };
    ASSERT_EQ(applier.apply({.kind = OpKind::create, .path = "kept"}, count), io::Error::ok);
    ASSERT_EQ(applier.apply(write_op("kept", 0, "durable"), count), io::Error::ok);
    ASSERT_EQ(applier.apply({.kind = OpKind::fsync, .path = "kept"}, count), io::Error::ok);
    ASSERT_EQ(applier.apply({.kind = OpKind::create, .path = "lost"}, count), io::Error::ok);
    ASSERT_EQ(applier.apply(write_op("lost", 0, "never synced"), count), io::Error::ok);
    disk.scheduler.run_until([&] { return done == 5; }, io::kNsPerS);
    ASSERT_EQ(done, 5);
  }
  disk.fs.crash();
  EXPECT_EQ(disk.contents("/data/kept"), "durable");
  EXPECT_EQ(disk.contents("/data/lost"), "<missing>");
}

TEST(OpApplier, a_renamed_directory_takes_its_open_files_along) {
  Disk disk;
  OpApplier applier(disk.fs, {"/data"});
  std::vector<io::Error> results;
  auto record = [&](io::Error e) { results.push_back(e); };
  ASSERT_EQ(applier.apply({.kind = OpKind::mkdir, .path = "d"}, record), io::Error::ok);
  ASSERT_EQ(applier.apply({.kind = OpKind::create, .path = "d/f"}, record), io::Error::ok);
  ASSERT_EQ(applier.apply(write_op("d/f", 0, "one"), record), io::Error::ok);
  ASSERT_EQ(applier.apply({.kind = OpKind::rename, .path = "d", .target = "e"}, record), io::Error::ok);
  ASSERT_EQ(applier.apply(write_op("d/f", 3, "stale"), record), io::Error::ok);
  ASSERT_EQ(applier.apply(write_op("e/f", 3, "two"), record), io::Error::ok);
  disk.scheduler.run_until([&] { return results.size() == 6; }, io::kNsPerS);
  EXPECT_EQ(results, (std::vector<io::Error>{io::Error::ok, io::Error::ok, io::Error::ok, io::Error::ok,
                                             io::Error::not_found, io::Error::ok}));
  EXPECT_EQ(disk.contents("/data/e/f"), "onetwo");
}

TEST(OpApplier, ops_carry_their_directory_and_stay_in_one_global_order) {
  Disk disk;
  disk.fs.install_directory("/other");
  OpApplier applier(disk.fs, {"/data", "/other"});
  std::vector<int> order;
  for (int i = 0; i < 6; ++i) {
    const FileOp op{.kind = OpKind::mkdir, .directory = static_cast<std::uint32_t>(i % 2), .path = "d" + std::to_string(i)};
    ASSERT_EQ(applier.apply(op, [&order, i](io::Error e) {
      EXPECT_EQ(e, io::Error::ok);
      order.push_back(i);
    }), io::Error::ok);
  }
  EXPECT_EQ(applier.apply({.kind = OpKind::mkdir, .directory = 2, .path = "x"}, [](io::Error) {}), io::Error::invalid_argument);
  disk.scheduler.run_until([&] { return order.size() == 6; }, io::kNsPerS);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE(disk.fs.contents("/data/d0") == std::nullopt);  // a directory, not a file
  EXPECT_EQ(disk.fs.tree().size(), 8u);  // /data, /other and six directories
}

TEST(OpApplier, refuses_invalid_ops_and_a_full_queue) {
  Disk disk;
  OpApplier applier(disk.fs, {"/data"});
  EXPECT_EQ(applier.apply({.kind = OpKind::mkdir, .path = "../escape"}, [](io::Error) {}), io::Error::invalid_argument);
  FileOp huge = write_op("f", 0, "");
  huge.data.resize(kMaxWriteOpBytes + 1);
  EXPECT_EQ(applier.apply(huge, [](io::Error) {}), io::Error::invalid_argument);
  io::Error last = io::Error::ok;
  std::size_t accepted = 0;
  while (last == io::Error::ok && accepted <= kMaxQueuedOps) {
    last = applier.apply({.kind = OpKind::set_mtime, .path = "f"}, [](io::Error) {});
    if (last == io::Error::ok) ++accepted;
  }
  EXPECT_EQ(last, io::Error::would_block);
  EXPECT_EQ(accepted, kMaxQueuedOps);
}

TEST(OpApplier, a_destroyed_applier_reports_nothing_more) {
  Disk disk;
  int reported = 0;
  {
    OpApplier applier(disk.fs, {"/data"});
    ASSERT_EQ(applier.apply({.kind = OpKind::mkdir, .path = "d"}, [&](io::Error) { ++reported; }), io::Error::ok);
  }
  disk.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(reported, 0);
  EXPECT_EQ(disk.fs.open_file_count(), 0u);
}

}  // namespace
}  // namespace hamirror::core
