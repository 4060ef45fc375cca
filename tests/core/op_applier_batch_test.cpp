// OpApplier hands writes queued back to back to one file to the FileSystem together
// (FileSystem::write_batch, op_applier.h), and their results are those of one write at
// a time.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "applier_disk.h"
#include "core/replication/op_applier.h"

namespace hamirror::core {
namespace {

using test::write_op;

// The size of each write_batch call, in order; before_write(n) runs before the n-th
// write (from 0). The calls themselves go through.
class CountedBatches final : public fsim::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  void write_batch(io::FileHandle file, std::vector<io::RangeWrite> writes, BatchFn done) override {
    sizes.push_back(writes.size());
    io::FileSystem::write_batch(file, std::move(writes), std::move(done));  // the default: write_shared per range
  }
  void write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes, WriteFn done) override {
    if (before_write) before_write(writes++);
    FileSystemWrapper::write_shared(file, offset, std::move(bytes), std::move(done));
  }
  std::vector<std::size_t> sizes;
  std::function<void(std::size_t)> before_write;
  std::size_t writes = 0;
};

struct BatchDisk : test::ApplierDisk {
  CountedBatches counted_batches{faulty};
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
  std::vector<std::string> order;
  auto note = [&order](std::string name) {
    return [&order, name](io::Error e) {
      EXPECT_EQ(e, io::Error::ok) << name;
      order.push_back(name);
    };
  };
  ASSERT_EQ(disk.applier.apply(write_op("f", 0, "one"), note("one")), io::Error::ok);  // starts alone
  ASSERT_EQ(disk.applier.apply(write_op("f", 3, "two"), note("two")), io::Error::ok);
  ASSERT_EQ(disk.applier.keep_durable(0, "f", io::FileKind::regular), io::Error::ok);
  ASSERT_EQ(disk.applier.apply(write_op("f", 6, "three"), note("three")), io::Error::ok);
  ASSERT_EQ(disk.applier.checkpoint(note("checkpoint")), io::Error::ok);
  ASSERT_EQ(disk.applier.apply(write_op("f", 11, "four"), note("four")), io::Error::ok);
  disk.scheduler.run_until([&] { return order.size() == 5; }, disk.scheduler.now_ns() + 10 * io::kNsPerS);
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

}  // namespace
}  // namespace hamirror::core
