#include "core/replication/op_applier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "applier_disk.h"

namespace hamirror::core {
namespace {

using test::write_op;
using Disk = test::ApplierDisk;

// Every name and every file's bytes, as they are now.
std::vector<std::pair<fsim::TreeEntry, std::optional<io::Bytes>>> snapshot(const fsim::MemFs& fs) {
  std::vector<std::pair<fsim::TreeEntry, std::optional<io::Bytes>>> out;
  for (const auto& entry : fs.tree()) out.emplace_back(entry, fs.contents(entry.path));
  return out;
}

// Applies ops one after the other and runs the disk until all are done.
void apply_all(OpApplier& applier, sim::Scheduler& scheduler, const std::vector<FileOp>& ops) {
  std::size_t done = 0;
  for (const FileOp& op : ops) {
    ASSERT_EQ(applier.apply(op, [&done, what = describe(op)](io::Error e) {
      EXPECT_EQ(e, io::Error::ok) << what;
      ++done;
    }), io::Error::ok);
  }
  scheduler.run_until([&] { return done == ops.size(); }, scheduler.now_ns() + 10 * io::kNsPerS);
  ASSERT_EQ(done, ops.size());
}

// Queues a checkpoint and runs until it is done; its result.
io::Error checkpoint(OpApplier& applier, sim::Scheduler& scheduler) {
  std::optional<io::Error> result;
  EXPECT_EQ(applier.checkpoint([&](io::Error e) { result = e; }), io::Error::ok);
  EXPECT_FALSE(result.has_value()) << "done never runs inside checkpoint()";
  scheduler.run_until([&] { return result.has_value(); }, scheduler.now_ns() + 10 * io::kNsPerS);
  EXPECT_TRUE(result.has_value());
  return result.value_or(io::Error::unknown);
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
  huge.data = io::Bytes(kMaxWriteOpBytes + 1);
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

TEST(ChangedSet, a_rename_moves_the_names_under_it_and_an_unlink_forgets_its_file) {
  ChangedSet changed;
  const std::vector<FileOp> ops = {{.kind = OpKind::create, .path = "d/f"},
                                   {.kind = OpKind::set_mtime, .path = "d/g"},
                                   {.kind = OpKind::write, .path = "dx"},
                                   {.kind = OpKind::rename, .path = "d", .target = "e/d2"},
                                   {.kind = OpKind::unlink, .path = "dx"}};
  for (const FileOp& op : ops) {
    changed.note(op);
    changed.applied(op, io::Error::ok);
  }
  EXPECT_EQ(changed.names().files, (std::set<ChangedName>{{0, "e/d2/f"}}));
  EXPECT_EQ(changed.names().metadata, (std::set<ChangedName>{{0, "e/d2/g"}}));
  EXPECT_EQ(changed.names().directories, (std::set<ChangedName>{{0, ""}, {0, "e"}, {0, "e/d2"}}));
  // A failed op forgets nothing: the unlink may not have happened.
  const FileOp unlink{.kind = OpKind::unlink, .path = "e/d2/f"};
  changed.note(unlink);
  changed.applied(unlink, io::Error::permission_denied);
  EXPECT_EQ(changed.names().files.size(), 1u);
  EXPECT_EQ(changed.take().files.size(), 1u);
  EXPECT_TRUE(changed.empty());
}

TEST(OpApplier, a_checkpoint_makes_every_op_before_it_survive_a_crash) {
  Disk disk;
  disk.fs.install_directory("/other");
  OpApplier applier(disk.fs, {"/data", "/other"});
  apply_all(applier, disk.scheduler, {
      {.kind = OpKind::mkdir, .path = "docs"},
      {.kind = OpKind::create, .path = "docs/a"},
      write_op("docs/a", 0, "first file"),
      {.kind = OpKind::create, .path = "b"},
      write_op("b", 0, "second file, longer"),
      {.kind = OpKind::truncate, .path = "b", .size_bytes = 11},
      {.kind = OpKind::create, .directory = 1, .path = "c"},
      {.kind = OpKind::mkdir, .path = "old"},
      {.kind = OpKind::create, .path = "old/moved"},
      {.kind = OpKind::create, .path = "gone"},
      {.kind = OpKind::set_mtime, .path = "docs", .mtime_ns = 5},
  });
  FileOp other_write = write_op("c", 0, "in the other directory");
  other_write.directory = 1;
  apply_all(applier, disk.scheduler, {
      other_write,
      write_op("old/moved", 0, "written before its directory moved"),
      {.kind = OpKind::rename, .path = "old", .target = "docs/new"},
      {.kind = OpKind::rename, .path = "docs/a", .target = "renamed"},
      {.kind = OpKind::unlink, .path = "gone"},
  });
  EXPECT_GT(applier.changed_names(), 0u);
  ASSERT_EQ(checkpoint(applier, disk.scheduler), io::Error::ok);
  EXPECT_EQ(applier.changed_names(), 0u);
  const auto before = snapshot(disk.fs);
  disk.fs.crash();
  EXPECT_EQ(snapshot(disk.fs), before);
  EXPECT_EQ(disk.contents("/data/renamed"), "first file");
  EXPECT_EQ(disk.contents("/data/b"), "second file");
  EXPECT_EQ(disk.contents("/data/docs/new/moved"), "written before its directory moved");
  EXPECT_EQ(disk.contents("/other/c"), "in the other directory");
  EXPECT_EQ(disk.contents("/data/gone"), "<missing>");
}

// A disk that refuses to write what lacks its owner-write bit, as for a daemon that is
// not root (and on Windows), with the replicated directory /data.
struct NotRootDisk {
  NotRootDisk() { fs.install_directory("/data"); }
  sim::Trace trace;
  sim::Scheduler scheduler{trace};
  fsim::MemFs fs{scheduler, io::Prng(1), fsim::MemFsOptions{.enforce_owner_write_bits = true}};
};

// The mode of path on fs; 0 when it cannot be read.
std::uint32_t mode_of(fsim::MemFs& fs, sim::Scheduler& scheduler, const std::string& path) {
  std::optional<io::Result<io::FileStat>> stat;
  fs.stat(path, [&](io::Result<io::FileStat> st) { stat = st; });
  scheduler.run_until([&] { return stat.has_value(); }, scheduler.now_ns() + io::kNsPerS);
  return stat && *stat ? (**stat).mode : 0;
}

// A daemon that is not root cannot open a read-only file to write: the checkpoint
// lends it the owner-write bit for the open (the rename closed the written handle;
// Windows flushes only through a handle open for writing), and gives it back.
TEST(OpApplier, a_checkpoint_syncs_a_read_only_file_of_a_daemon_that_is_not_root) {
  NotRootDisk disk;
  sim::Scheduler& scheduler = disk.scheduler;
  fsim::MemFs& fs = disk.fs;
  OpApplier applier(fs, {"/data"});
  apply_all(applier, scheduler, {
      {.kind = OpKind::create, .path = "f"},
      write_op("f", 0, "read-only later"),
      {.kind = OpKind::set_mode, .path = "f", .mode = 0444},
      {.kind = OpKind::rename, .path = "f", .target = "g"},
  });
  ASSERT_EQ(checkpoint(applier, scheduler), io::Error::ok);
  fs.crash();
  const auto bytes = fs.contents("/data/g");
  EXPECT_EQ(bytes ? std::string(bytes->begin(), bytes->end()) : "<missing>", "read-only later");
  EXPECT_EQ(mode_of(fs, scheduler, "/data/g"), 0444u) << "the bit lent for the open is given back";
}

// The application writes and fsyncs, through the descriptor it opened before, a file
// it made read-only; this copy's handle was closed meanwhile (evicted from the cache, or
// by a rename). A daemon that is not root reopens it by lending the owner-write bit for
// the open: the writes land, the mode stays the application's.
TEST(OpApplier, a_daemon_that_is_not_root_writes_a_read_only_file_whose_handle_was_closed) {
  NotRootDisk disk;
  sim::Scheduler& scheduler = disk.scheduler;
  fsim::MemFs& fs = disk.fs;
  OpApplier applier(fs, {"/data"});
  std::vector<FileOp> ops{{.kind = OpKind::create, .path = "f", .mode = 0444}, write_op("f", 0, "first")};
  for (std::size_t i = 0; i < kMaxCachedHandles; ++i) ops.push_back({.kind = OpKind::create, .path = "other" + std::to_string(i)});
  ops.push_back(write_op("f", 5, ", evicted"));
  ops.push_back({.kind = OpKind::rename, .path = "f", .target = "g"});
  ops.push_back(write_op("g", 14, ", renamed"));
  ops.push_back({.kind = OpKind::fsync, .path = "g"});
  std::vector<io::Error> results;
  for (FileOp& op : ops) ASSERT_EQ(applier.apply(std::move(op), [&](io::Error e) { results.push_back(e); }), io::Error::ok);
  scheduler.run_until([&] { return results.size() == ops.size(); }, scheduler.now_ns() + io::kNsPerS);
  EXPECT_EQ(results, std::vector<io::Error>(ops.size(), io::Error::ok));
  fs.crash();
  const auto bytes = fs.contents("/data/g");
  EXPECT_EQ(bytes ? std::string(bytes->begin(), bytes->end()) : "<missing>", "first, evicted, renamed");
  EXPECT_EQ(mode_of(fs, scheduler, "/data/g"), 0444u);
}

TEST(OpApplier, a_checkpoint_waits_for_the_ops_queued_before_it) {
  Disk disk;
  OpApplier applier(disk.fs, {"/data"});
  std::vector<std::string> order;
  ASSERT_EQ(applier.apply({.kind = OpKind::create, .path = "f"}, [&](io::Error) { order.push_back("create"); }), io::Error::ok);
  ASSERT_EQ(applier.apply(write_op("f", 0, "queued"), [&](io::Error) { order.push_back("write"); }), io::Error::ok);
  ASSERT_EQ(applier.checkpoint([&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    order.push_back("checkpoint");
    EXPECT_EQ(disk.fs.durable_contents("/data/f"), disk.fs.contents("/data/f"));
  }), io::Error::ok);
  EXPECT_EQ(applier.queued(), 3u);
  disk.scheduler.run_until([&] { return order.size() == 3; }, io::kNsPerS);
  EXPECT_EQ(order, (std::vector<std::string>{"create", "write", "checkpoint"}));
  disk.fs.crash();
  EXPECT_EQ(disk.contents("/data/f"), "queued");
}

TEST(OpApplier, a_checkpoint_with_nothing_changed_still_completes_later) {
  Disk disk;
  OpApplier applier(disk.fs, {"/data"});
  EXPECT_EQ(checkpoint(applier, disk.scheduler), io::Error::ok);
  // An fsync op made its file and its entry durable: nothing is left to sync.
  apply_all(applier, disk.scheduler, {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, "x"), {.kind = OpKind::fsync, .path = "f"}});
  EXPECT_EQ(applier.changed_names(), 0u);
  EXPECT_EQ(checkpoint(applier, disk.scheduler), io::Error::ok);
  EXPECT_EQ(checkpoint(applier, disk.scheduler), io::Error::ok);
  EXPECT_EQ(disk.fs.durable_tree(), disk.fs.tree());
}

TEST(OpApplier, the_changed_names_stay_bounded_by_an_early_sync) {
  Disk disk;
  OpApplier applier(disk.fs, {"/data"});
  // Each create names a new file: more than the bound holds, in batches the queue takes.
  const std::size_t files = kMaxChangedNames + 100;
  std::size_t max_seen = 0;
  for (std::size_t first = 0; first < files; first += 1000) {
    std::vector<FileOp> batch;
    for (std::size_t i = first; i < std::min(files, first + 1000); ++i) batch.push_back({.kind = OpKind::create, .path = "f" + std::to_string(i)});
    apply_all(applier, disk.scheduler, batch);
    max_seen = std::max(max_seen, applier.changed_names());
  }
  EXPECT_LE(max_seen, kMaxChangedNames);
  EXPECT_LT(applier.changed_names(), 200u) << "the early sync forgot what it made durable";
  // What the early sync covered is durable without any checkpoint.
  const auto durable = disk.fs.durable_tree();
  EXPECT_GE(durable.size(), kMaxChangedNames - kMaxNamesPerOp);
  ASSERT_EQ(checkpoint(applier, disk.scheduler), io::Error::ok);
  EXPECT_EQ(disk.fs.durable_tree(), disk.fs.tree());
}

// Counts the syncs that reach the disk; `can_flush_all` false answers sync_file_system
// as a backend without it does (not_supported).
class CountedSyncs final : public fsim::FileSystemWrapper {
 public:
  CountedSyncs(io::FileSystem& inner, bool can_flush_all) : FileSystemWrapper(inner), can_flush_all_(can_flush_all) {}
  void fsync(io::FileHandle file, DoneFn done) override {
    ++fsyncs;
    FileSystemWrapper::fsync(file, std::move(done));
  }
  void fsync_dir(const std::string& path, DoneFn done) override {
    ++fsyncs;
    FileSystemWrapper::fsync_dir(path, std::move(done));
  }
  void sync_file_system(const std::string& path, DoneFn done) override {
    ++file_system_syncs;
    if (can_flush_all_) return FileSystemWrapper::sync_file_system(path, std::move(done));
    io::FileSystem::sync_file_system(path, std::move(done));
  }
  int fsyncs = 0;
  int file_system_syncs = 0;

 private:
  bool can_flush_all_;
};

// New files in /data and in /other, each written, through an applier over a disk
// that counts its syncs; checkpointed, they must survive a crash.
struct ManyNewFiles {
  explicit ManyNewFiles(bool can_flush_all) : counted(disk.fs, can_flush_all) { disk.fs.install_directory("/other"); }

  void checkpoint_survives_a_crash(std::size_t files) {
    std::vector<FileOp> ops;
    for (std::size_t i = 0; i < files; ++i) {
      const std::uint32_t directory = i % 2;
      const std::string name = "f" + std::to_string(i);
      ops.push_back({.kind = OpKind::create, .directory = directory, .path = name});
      FileOp write = write_op(name, 0, "file " + std::to_string(i));
      write.directory = directory;
      ops.push_back(write);
    }
    apply_all(applier, disk.scheduler, ops);
    ASSERT_EQ(checkpoint(applier, disk.scheduler), io::Error::ok);
    const auto before = snapshot(disk.fs);
    disk.fs.crash();
    EXPECT_EQ(snapshot(disk.fs), before);
  }

  Disk disk;
  CountedSyncs counted;
  OpApplier applier{counted, {"/data", "/other"}};
};

// A reintegration's last checkpoint names ~900 files: one flush of each disk holding a
// replicated directory, not an fsync per name.
TEST(OpApplier, a_checkpoint_of_many_names_flushes_each_file_system_once) {
  ManyNewFiles many(true);
  many.checkpoint_survives_a_crash(kSyncFileSystemFrom + 10);
  EXPECT_EQ(many.counted.file_system_syncs, 2) << "one per replicated directory";
  EXPECT_EQ(many.counted.fsyncs, 0);
  // A few names: one sync each, not a flush of everything else on the disk.
  apply_all(many.applier, many.disk.scheduler, {{.kind = OpKind::create, .path = "few"}, write_op("few", 0, "x")});
  ASSERT_EQ(checkpoint(many.applier, many.disk.scheduler), io::Error::ok);
  EXPECT_EQ(many.counted.file_system_syncs, 2);
  EXPECT_GT(many.counted.fsyncs, 0);
}

TEST(OpApplier, a_checkpoint_of_many_names_syncs_each_where_the_file_system_cannot_be_flushed_at_once) {
  ManyNewFiles many(false);
  many.checkpoint_survives_a_crash(kSyncFileSystemFrom + 10);
  EXPECT_EQ(many.counted.file_system_syncs, 1) << "asked once, then name by name";
  EXPECT_GE(many.counted.fsyncs, static_cast<int>(kSyncFileSystemFrom + 10));
}

TEST(OpApplier, a_failed_flush_of_the_file_system_fails_that_checkpoint_and_every_later_one) {
  Disk disk;
  OpApplier applier(disk.faulty, {"/data"});
  std::vector<FileOp> ops;
  for (std::size_t i = 0; i < kSyncFileSystemFrom; ++i) ops.push_back({.kind = OpKind::create, .path = "f" + std::to_string(i)});
  apply_all(applier, disk.scheduler, ops);
  disk.faulty.fail_next(fsim::FaultKind::fsync, 1);
  EXPECT_EQ(checkpoint(applier, disk.scheduler), io::Error::io_error);
  apply_all(applier, disk.scheduler, {write_op("f0", 0, "again")});
  EXPECT_EQ(checkpoint(applier, disk.scheduler), io::Error::io_error);
}

TEST(OpApplier, a_failed_sync_fails_that_checkpoint_and_every_later_one) {
  Disk disk;
  fsim::FaultyFs faulty(disk.fs, disk.scheduler, io::Prng(7));
  OpApplier applier(faulty, {"/data"});
  apply_all(applier, disk.scheduler, {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, "lost?")});
  faulty.fail_next(fsim::FaultKind::fsync, 1);
  EXPECT_EQ(checkpoint(applier, disk.scheduler), io::Error::io_error);
  apply_all(applier, disk.scheduler, {write_op("f", 5, " again")});
  EXPECT_EQ(checkpoint(applier, disk.scheduler), io::Error::io_error) << "the data the failed fsync held may be gone";
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

TEST(OpApplier, a_destroyed_applier_mid_checkpoint_reports_nothing_and_leaks_no_handle) {
  Disk disk;
  int reported = 0;
  {
    OpApplier applier(disk.fs, {"/data"});
    apply_all(applier, disk.scheduler, {{.kind = OpKind::create, .path = "f"}, {.kind = OpKind::create, .path = "g"},
                                        {.kind = OpKind::rename, .path = "f", .target = "h"}});
    ASSERT_EQ(applier.checkpoint([&](io::Error) { ++reported; }), io::Error::ok);
  }
  disk.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(reported, 0);
  EXPECT_EQ(disk.fs.open_file_count(), 0u);
}

}  // namespace
}  // namespace hamirror::core
