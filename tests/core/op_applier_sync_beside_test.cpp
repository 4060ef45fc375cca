// OpApplier runs a checkpoint's sync beside the ops after it (op_applier.h): later
// writes go on while the disk flushes, what changes names waits, and the sync flushes
// through handles of its own. The disk's flushes are slow here (SlowFs), as a page
// cache full of a stream's writes makes them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "applier_disk.h"
#include "core/replication/op_applier.h"
#include "fsim/slow_fs.h"

namespace hamirror::core {
namespace {

using test::write_op;

constexpr std::int64_t kFlushNs = 50 * io::kNsPerMs;

struct SlowFlushDisk : test::ApplierDisk {
  fsim::SlowFs slow{fs, scheduler, io::Prng(3), fsim::SlowFsOptions{.sync_latency_min_ns = kFlushNs, .sync_latency_max_ns = kFlushNs}};
  OpApplier applier{slow, {"/data"}};

  // Queues op; its completion is noted in `order` as `name`, and must succeed.
  void apply(FileOp op, std::string name) { ASSERT_EQ(applier.apply(std::move(op), noted(std::move(name))), io::Error::ok); }
  void checkpoint(std::string name) { ASSERT_EQ(applier.checkpoint(noted(std::move(name))), io::Error::ok); }
  void run_until_done(std::size_t count) {
    scheduler.run_until([&] { return order.size() == count; }, scheduler.now_ns() + 10 * io::kNsPerS);
    ASSERT_EQ(order.size(), count);
  }
};

TEST(OpApplierSyncBeside, later_writes_complete_while_the_checkpoint_flushes) {
  SlowFlushDisk disk;
  disk.fs.install_file("/data/later", io::as_bytes("was here"));
  disk.apply({.kind = OpKind::create, .path = "f"}, "create");
  disk.apply(write_op("f", 0, "before the checkpoint"), "write");
  disk.checkpoint("checkpoint");
  disk.apply(write_op("later", 0, "after it"), "later write");
  disk.apply(write_op("f", 0, "BEFORE"), "later write to f");
  disk.run_until_done(5);
  EXPECT_EQ(disk.order, (std::vector<std::string>{"create", "write", "later write", "later write to f", "checkpoint"}));
  // Every op before the checkpoint survives a power cut; later ones may or may not.
  disk.fs.crash();
  const std::string f = disk.contents("/data/f");
  EXPECT_TRUE(f == "before the checkpoint" || f == "BEFORE the checkpoint") << f;
}

TEST(OpApplierSyncBeside, an_op_that_changes_names_waits_for_the_sync_before_it) {
  SlowFlushDisk disk;
  disk.apply({.kind = OpKind::create, .path = "f"}, "create");
  disk.apply(write_op("f", 0, "synced under its first name"), "write");
  disk.checkpoint("checkpoint");
  disk.apply({.kind = OpKind::rename, .path = "f", .target = "g"}, "rename");
  disk.apply({.kind = OpKind::create, .path = "h"}, "create h");
  disk.checkpoint("second checkpoint");
  disk.run_until_done(6);
  EXPECT_EQ(disk.order, (std::vector<std::string>{"create", "write", "checkpoint", "rename", "create h", "second checkpoint"}));
  disk.fs.crash();
  EXPECT_EQ(disk.contents("/data/g"), "synced under its first name");
  EXPECT_EQ(disk.contents("/data/f"), "<missing>");
  EXPECT_EQ(disk.contents("/data/h"), "");
}

// The writers' handles are closed while the sync is still on its way to the disk: it
// flushes through a handle of its own, which stays open until it is done.
TEST(OpApplierSyncBeside, closing_the_cached_handles_does_not_cut_the_sync_short) {
  SlowFlushDisk disk;
  disk.apply({.kind = OpKind::create, .path = "f"}, "create");
  disk.apply(write_op("f", 0, "flushed"), "write");
  disk.checkpoint("checkpoint");
  ASSERT_EQ(disk.applier.close_cached_handles(), io::Error::ok);
  disk.apply(write_op("f", 7, " later"), "later write");
  disk.run_until_done(4);
  EXPECT_EQ(disk.order, (std::vector<std::string>{"create", "write", "later write", "checkpoint"}));
  disk.fs.crash();
  const std::string f = disk.contents("/data/f");
  EXPECT_TRUE(f == "flushed" || f == "flushed later") << f;
}

}  // namespace
}  // namespace hamirror::core
