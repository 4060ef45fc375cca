// OpApplier's fsync op flushes the file's directory only when an entry in it may not be
// durable yet (op_applier.h): each case ends with a power cut that shows the entry
// survived, and counts the directory flushes.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/replication/durable_directories.h"
#include "core/replication/op_applier.h"
#include "applier_disk.h"

namespace hamirror::core {
namespace {

using test::write_op;

// Every test here works in /data/d.
struct Disk : test::ApplierDisk {
  Disk() { fs.install_directory("/data/d"); }
};

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

// On NTFS "d" and "D" are one directory: a create under "D" changes the entries an
// fsync under "d" must make durable. fsim is case-sensitive (two directories here), so
// the test sees the cost the rule has there: one more flush, never one less.
TEST(OpApplierFsync, a_change_under_a_spelling_that_differs_only_in_case_flushes_the_directory_again) {
  Disk disk;
  disk.fs.install_directory("/data/D");
  OpApplier applier(disk.counted, {"/data"});
  EXPECT_EQ(disk.apply(applier, {{.kind = OpKind::create, .path = "d/f"}, write_op("d/f", 0, "f"), fsync_op("d/f")}), kAllOk);
  EXPECT_EQ(disk.counted.count, 1);
  EXPECT_EQ(disk.apply(applier, {{.kind = OpKind::create, .path = "D/g"}, fsync_op("d/f")}),
            (std::vector<io::Error>{io::Error::ok, io::Error::ok}));
  EXPECT_EQ(disk.counted.count, 2) << "d/f's fsync flushes d again: on NTFS it holds D/g's entry";
}

TEST(DurableDirectories, lookups_are_exact_and_a_change_forgets_every_spelling) {
  DurableDirectories dirs(4);
  dirs.insert("/data/Docs");
  dirs.insert("/data/docs");
  EXPECT_TRUE(dirs.contains("/data/Docs"));
  EXPECT_FALSE(dirs.contains("/data/DOCS")) << "on a case-sensitive disk another directory";
  dirs.forget("/data/DOCS");
  EXPECT_FALSE(dirs.contains("/data/Docs"));
  EXPECT_FALSE(dirs.contains("/data/docs"));
  dirs.insert("/data/caf\xc3\xa9");
  dirs.insert("/data/other");
  dirs.forget("/data/CAF\xc3\x89");  // non-ASCII: the file system's own case rules
  EXPECT_EQ(dirs.size(), 0u);
  for (const char* d : {"/a", "/b", "/c", "/d"}) dirs.insert(d);
  dirs.insert("/e");  // full: starts afresh
  EXPECT_EQ(dirs.size(), 1u);
  EXPECT_TRUE(dirs.contains("/e"));
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
