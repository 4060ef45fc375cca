// OpApplier's fsync op flushes the file's directory only when an entry in it may not be
// durable yet (op_applier.h): each case ends with a power cut that shows the entry
// survived, and counts the directory flushes.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/replication/op_applier.h"
#include "fsim/faulty_fs.h"
#include "fsim/fs_wrapper.h"
#include "fsim/mem_fs.h"
#include "sim/scheduler.h"

namespace hamirror::core {
namespace {

class CountedDirSyncs final : public fsim::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  void fsync_dir(const std::string& path, DoneFn done) override {
    ++count;
    FileSystemWrapper::fsync_dir(path, std::move(done));
  }
  int count = 0;
};

struct Disk {
  sim::Trace trace;
  sim::Scheduler scheduler{trace};
  fsim::MemFs fs{scheduler, io::Prng(1)};
  fsim::FaultyFs faulty{fs, scheduler, io::Prng(2)};
  CountedDirSyncs counted{faulty};
  Disk() {
    fs.install_directory("/data");
    fs.install_directory("/data/d");
  }

  // Applies ops in order and runs the disk until all are done; their results.
  std::vector<io::Error> apply(OpApplier& applier, const std::vector<FileOp>& ops) {
    std::vector<io::Error> results;
    for (const FileOp& op : ops) EXPECT_EQ(applier.apply(op, [&results](io::Error e) { results.push_back(e); }), io::Error::ok);
    scheduler.run_until([&] { return results.size() == ops.size(); }, scheduler.now_ns() + 10 * io::kNsPerS);
    EXPECT_EQ(results.size(), ops.size());
    return results;
  }
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

FileOp fsync_op(const std::string& path) { return {.kind = OpKind::fsync, .path = path}; }

const std::vector<io::Error> kAllOk(3, io::Error::ok);

TEST(OpApplierFsync, a_file_fsynced_again_costs_no_second_directory_flush) {
  Disk disk;
  OpApplier applier(disk.counted, {"/data"});
  EXPECT_EQ(disk.apply(applier, {{.kind = OpKind::create, .path = "d/f"}, write_op("d/f", 0, "one"), fsync_op("d/f")}), kAllOk);
  EXPECT_EQ(disk.counted.count, 1);
  EXPECT_EQ(disk.apply(applier, {write_op("d/f", 3, "two"), fsync_op("d/f"), fsync_op("d/f")}), kAllOk);
  EXPECT_EQ(disk.counted.count, 1) << "no entry of d changed since its flush";
  disk.fs.crash();
  EXPECT_EQ(disk.contents("/data/d/f"), "onetwo");
}

TEST(OpApplierFsync, a_changed_entry_in_the_directory_flushes_it_again) {
  Disk disk;
  OpApplier applier(disk.counted, {"/data"});
  EXPECT_EQ(disk.apply(applier, {{.kind = OpKind::create, .path = "d/f"}, write_op("d/f", 0, "f"), fsync_op("d/f")}), kAllOk);
  EXPECT_EQ(disk.apply(applier, {{.kind = OpKind::create, .path = "d/g"}, write_op("d/g", 0, "g"), fsync_op("d/g")}), kAllOk);
  EXPECT_EQ(disk.counted.count, 2);
  EXPECT_EQ(disk.apply(applier, {{.kind = OpKind::create, .path = "d/h"}, {.kind = OpKind::rename, .path = "d/h", .target = "d/i"},
                                 fsync_op("d/i")}), kAllOk);
  EXPECT_EQ(disk.counted.count, 3);
  disk.fs.crash();
  EXPECT_EQ(disk.contents("/data/d/g"), "g");
  EXPECT_EQ(disk.contents("/data/d/i"), "");
  EXPECT_EQ(disk.contents("/data/d/h"), "<missing>");
}

TEST(OpApplierFsync, a_directory_this_applier_never_flushed_is_flushed) {
  Disk disk;
  disk.fs.install_file("/data/d/old", {});
  {
    OpApplier first(disk.counted, {"/data"});
    EXPECT_EQ(disk.apply(first, {{.kind = OpKind::create, .path = "d/new"}}), std::vector<io::Error>{io::Error::ok});
  }
  OpApplier second(disk.counted, {"/data"});
  EXPECT_EQ(disk.apply(second, {fsync_op("d/new")}), std::vector<io::Error>{io::Error::ok});
  EXPECT_EQ(disk.counted.count, 1) << "the entry another applier created";
  disk.fs.crash();
  EXPECT_EQ(disk.contents("/data/d/new"), "");
}

TEST(OpApplierFsync, after_a_failed_sync_every_fsync_op_flushes_its_directory) {
  Disk disk;
  OpApplier applier(disk.counted, {"/data"});
  EXPECT_EQ(disk.apply(applier, {{.kind = OpKind::create, .path = "d/f"}, write_op("d/f", 0, "f"), fsync_op("d/f")}), kAllOk);
  // Another directory's flush fails: d's entries are still durable, but after a failed
  // sync the disk may have dropped anything, so nothing counts as flushed any more.
  EXPECT_EQ(disk.apply(applier, {{.kind = OpKind::create, .path = "g"}}), std::vector<io::Error>{io::Error::ok});
  disk.faulty.fail_next(fsim::FaultKind::fsync_dir, 1);
  std::optional<io::Error> checkpointed;
  ASSERT_EQ(applier.checkpoint([&](io::Error e) { checkpointed = e; }), io::Error::ok);
  disk.scheduler.run_until([&] { return checkpointed.has_value(); }, disk.scheduler.now_ns() + io::kNsPerS);
  EXPECT_EQ(checkpointed, io::Error::io_error);
  const int before = disk.counted.count;
  EXPECT_EQ(disk.apply(applier, {fsync_op("d/f")}), std::vector<io::Error>{io::Error::ok});
  EXPECT_EQ(disk.counted.count, before + 1);
}

}  // namespace
}  // namespace hamirror::core
