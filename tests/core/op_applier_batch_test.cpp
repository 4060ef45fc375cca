// OpApplier hands writes queued back to back to one file to the FileSystem together
// (FileSystem::write_batch, op_applier.h), and their results are those of one write at
// a time.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "applier_disk.h"
#include "core/replication/op_applier.h"
#include "sim/sim_clock.h"

namespace hamirror::core {
namespace {

using test::write_op;

// The size of each write_batch call, in order, and whether it fsynced after them;
// before_write(n) runs before the n-th write (from 0), before_fsync before each fsync
// (a batch's too). The calls themselves go through.
class CountedBatches final : public fsim::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  void write_batch(io::FileHandle file, std::vector<io::RangeWrite> writes, AfterBatch then, BatchFn done) override {
    sizes.push_back(writes.size());
    fsync_after.push_back(then == AfterBatch::fsync);
    // The default: write_shared per range, then fsync.
    io::FileSystem::write_batch(file, std::move(writes), then, std::move(done));
  }
  void fsync(io::FileHandle file, DoneFn done) override {
    if (before_fsync) before_fsync();
    FileSystemWrapper::fsync(file, std::move(done));
  }
  void write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes, WriteFn done) override {
    if (before_write) before_write(writes++);
    FileSystemWrapper::write_shared(file, offset, std::move(bytes), std::move(done));
  }
  std::vector<std::size_t> sizes;
  std::vector<bool> fsync_after;
  std::function<void(std::size_t)> before_write;
  std::function<void()> before_fsync;
  std::size_t writes = 0;
};

struct BatchDisk : test::ApplierDisk {
  CountedBatches counted_batches{counted};  // over the fault layer and the count of directory flushes
  OpApplier applier{counted_batches, {"/data"}};
};

TEST(OpApplierBatch, writes_queued_together_to_one_file_go_in_one_call_in_order) {
  BatchDisk disk;
  std::vector<FileOp> ops{{.kind = OpKind::create, .path = "f"}, {.kind = OpKind::create, .path = "g"}};
  for (int i = 0; i < 5; ++i) ops.push_back(write_op("f", static_cast<std::uint64_t>(i), std::string(6, static_cast<char>('a' + i))));
  ops.push_back(write_op("g", 0, "g1"));  // another file: a batch of its own
  ops.push_back(write_op("f", 0, "F"));
  for (const io::Error result : disk.apply(disk.applier, ops)) EXPECT_EQ(result, io::Error::ok);
  EXPECT_EQ(disk.counted_batches.sizes, (std::vector<std::size_t>{5, 1, 1}));
  EXPECT_EQ(disk.contents("/data/f"), "Fbcdeeeeee") << "each write over the one before it";
  EXPECT_EQ(disk.contents("/data/g"), "g1");
}

TEST(OpApplierBatch, a_batch_holds_at_most_so_many_bytes) {
  BatchDisk disk;
  std::vector<FileOp> ops{{.kind = OpKind::create, .path = "f"}};
  const std::uint64_t write_bytes = 64 * 1024;
  const std::uint64_t per_batch = kMaxBatchedWriteBytes / write_bytes;
  ASSERT_GT(per_batch, 2u);
  for (std::uint64_t i = 0; i < per_batch + 2; ++i) {
    FileOp op{.kind = OpKind::write, .path = "f", .offset = i * write_bytes};
    op.data = io::Bytes(write_bytes, 'x');
    ops.push_back(std::move(op));
  }
  for (const io::Error result : disk.apply(disk.applier, ops)) EXPECT_EQ(result, io::Error::ok);
  EXPECT_EQ(disk.counted_batches.sizes, (std::vector<std::size_t>{per_batch, 2}));
  EXPECT_EQ(disk.fs.contents("/data/f")->size(), (per_batch + 2) * write_bytes);
}

TEST(OpApplierBatch, a_name_kept_durable_or_a_checkpoint_between_writes_ends_their_batch) {
  BatchDisk disk;
  disk.fs.install_file("/data/f", io::as_bytes(""));
  ASSERT_EQ(disk.applier.apply(write_op("f", 0, "one"), disk.noted("one")), io::Error::ok);  // starts alone
  ASSERT_EQ(disk.applier.apply(write_op("f", 3, "two"), disk.noted("two")), io::Error::ok);
  ASSERT_EQ(disk.applier.keep_durable(0, "f", io::FileKind::regular), io::Error::ok);
  ASSERT_EQ(disk.applier.apply(write_op("f", 6, "three"), disk.noted("three")), io::Error::ok);
  ASSERT_EQ(disk.applier.checkpoint(disk.noted("checkpoint")), io::Error::ok);
  ASSERT_EQ(disk.applier.apply(write_op("f", 11, "four"), disk.noted("four")), io::Error::ok);
  disk.scheduler.run_until([&] { return disk.order.size() == 5; }, disk.scheduler.now_ns() + 10 * io::kNsPerS);
  EXPECT_EQ(disk.counted_batches.sizes, (std::vector<std::size_t>{1, 1, 1, 1}));
  EXPECT_EQ(disk.contents("/data/f"), "onetwothreefour");
  disk.fs.crash();
  EXPECT_EQ(disk.contents("/data/f").substr(0, 11), "onetwothree") << "the checkpoint covered the writes before it";
}

TEST(OpApplierBatch, the_writes_after_one_that_fails_are_applied_afresh) {
  BatchDisk disk;
  disk.fs.install_file("/data/f", io::as_bytes("......"));
  disk.counted_batches.before_write = [&disk](std::size_t n) {
    if (n == 2) disk.faulty.fail_next(fsim::FaultKind::write, 1);  // the batch's third write
  };
  // Behind a create (no write), so that the four writes are queued together.
  std::vector<FileOp> ops{{.kind = OpKind::create, .path = "other"}, write_op("f", 0, "a"), write_op("f", 1, "b"),
                          write_op("f", 2, "c"), write_op("f", 3, "d")};
  const std::vector<io::Error> results = disk.apply(disk.applier, ops);
  EXPECT_EQ(results, (std::vector<io::Error>{io::Error::ok, io::Error::ok, io::Error::ok, io::Error::io_error, io::Error::ok}));
  EXPECT_EQ(disk.counted_batches.sizes, (std::vector<std::size_t>{4, 1})) << "d again, alone";
  EXPECT_EQ(disk.contents("/data/f"), "ab.d..");
}

TEST(OpApplierBatch, an_fsync_right_behind_writes_to_its_file_goes_with_them_and_completes_after_them) {
  BatchDisk disk;
  disk.fs.install_file("/data/f", io::as_bytes(""));
  disk.fs.install_file("/data/g", io::as_bytes(""));
  // Behind a create, so that what follows is queued together; the first fsync, alone,
  // leaves the directory durable, so that the second one completes with its batch.
  ASSERT_EQ(disk.applier.apply({.kind = OpKind::create, .path = "other"}, disk.noted("create")), io::Error::ok);
  ASSERT_EQ(disk.applier.apply({.kind = OpKind::fsync, .path = "f"}, disk.noted("fsync f, nothing written")), io::Error::ok);
  ASSERT_EQ(disk.applier.apply(write_op("f", 0, "one"), disk.noted("one")), io::Error::ok);
  ASSERT_EQ(disk.applier.apply(write_op("f", 3, "two"), disk.noted("two")), io::Error::ok);
  ASSERT_EQ(disk.applier.apply({.kind = OpKind::fsync, .path = "f"}, disk.noted("fsync f")), io::Error::ok);
  ASSERT_EQ(disk.applier.apply(write_op("g", 0, "three"), disk.noted("three")), io::Error::ok);
  ASSERT_EQ(disk.applier.apply({.kind = OpKind::fsync, .path = "f"}, disk.noted("fsync f, not behind its writes")), io::Error::ok);
  disk.scheduler.run_until([&] { return disk.order.size() == 7; }, disk.scheduler.now_ns() + 10 * io::kNsPerS);
  EXPECT_EQ(disk.order, (std::vector<std::string>{"create", "fsync f, nothing written", "one", "two", "fsync f", "three",
                                             "fsync f, not behind its writes"}));
  EXPECT_EQ(disk.counted.count, 1) << "the directory flushed once";
  EXPECT_EQ(disk.counted_batches.sizes, (std::vector<std::size_t>{2, 1}));
  EXPECT_EQ(disk.counted_batches.fsync_after, (std::vector<bool>{true, false})) << "g's write has no fsync of g behind it";
  disk.fs.crash();
  EXPECT_EQ(disk.contents("/data/f"), "onetwo") << "the batch's fsync made its writes durable";
}

TEST(OpApplierBatch, an_fsync_that_went_with_writes_reports_its_own_failure_and_one_behind_a_failed_write_runs_afresh) {
  BatchDisk disk;
  disk.fs.install_file("/data/f", io::as_bytes("...."));
  std::size_t fsyncs = 0;
  disk.counted_batches.before_fsync = [&] {
    if (++fsyncs == 1) disk.faulty.fail_next(fsim::FaultKind::fsync, 1);
  };
  std::vector<FileOp> ops{{.kind = OpKind::create, .path = "other"}, write_op("f", 0, "a"), {.kind = OpKind::fsync, .path = "f"}};
  EXPECT_EQ(disk.apply(disk.applier, ops), (std::vector<io::Error>{io::Error::ok, io::Error::ok, io::Error::io_error}))
      << "the write went; the fsync failed, and only it says so";
  EXPECT_EQ(fsyncs, 1u);

  disk.counted_batches.before_write = [&disk](std::size_t n) {
    if (n == 0) disk.faulty.fail_next(fsim::FaultKind::write, 1);  // the first write counted: the next batch's
  };
  ops = {{.kind = OpKind::create, .path = "other"}, write_op("f", 1, "b"), {.kind = OpKind::fsync, .path = "f"}};
  EXPECT_EQ(disk.apply(disk.applier, ops), (std::vector<io::Error>{io::Error::ok, io::Error::io_error, io::Error::ok}));
  EXPECT_EQ(fsyncs, 2u) << "the fsync did not go with the failed write: it ran afresh, on its own";
  EXPECT_EQ(disk.counted_batches.fsync_after, (std::vector<bool>{true, true}));
  EXPECT_EQ(disk.contents("/data/f"), "a...");
}

TEST(OpApplierBatch, given_a_clock_an_idle_applier_starts_on_the_next_turn_with_what_was_queued_meanwhile) {
  BatchDisk disk;
  disk.fs.install_file("/data/f", io::as_bytes(""));
  sim::SimClock clock(disk.scheduler);
  OpApplier applier(disk.counted_batches, {"/data"}, &clock);
  // As a secondary decodes them from one read: a write, then its fsync.
  ASSERT_EQ(applier.apply(write_op("f", 0, "one"), disk.noted("write")), io::Error::ok);
  EXPECT_TRUE(disk.counted_batches.sizes.empty()) << "not started inside the call";
  ASSERT_EQ(applier.apply({.kind = OpKind::fsync, .path = "f"}, disk.noted("fsync")), io::Error::ok);
  disk.scheduler.run_until([&] { return disk.order.size() == 2; }, disk.scheduler.now_ns() + 10 * io::kNsPerS);
  EXPECT_EQ(disk.order, (std::vector<std::string>{"write", "fsync"}));
  EXPECT_EQ(disk.counted_batches.fsync_after, (std::vector<bool>{true})) << "one call: the write, then the fsync";
  disk.fs.crash();
  EXPECT_EQ(disk.contents("/data/f"), "one");
}

}  // namespace
}  // namespace hamirror::core
