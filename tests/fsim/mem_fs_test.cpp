// MemFs semantics and error values while nothing crashes.
#include "fsim/mem_fs.h"

#include <gtest/gtest.h>

#include "fs_sync.h"
#include "sim/sim_clock.h"

namespace hamirror::fsim {
namespace {

using testing::bytes_of;
using testing::Disk;
using testing::kCreate;
using testing::kCreateNew;
using testing::kReadOnly;
using testing::kReadWrite;
using testing::text_of;

TEST(MemFs, completes_every_call_through_the_scheduler_never_inside_it) {
  Disk disk;
  bool done = false;
  disk.fs.mkdir("/data", [&](io::Error error) {
    EXPECT_EQ(error, io::Error::ok);
    done = true;
  });
  EXPECT_FALSE(done);
  EXPECT_EQ(disk.scheduler.pending_events(), 1u);
  disk.scheduler.step();
  EXPECT_TRUE(done);
}

TEST(MemFs, reads_back_what_was_written_at_any_offset_with_gaps_zero_filled) {
  Disk disk;
  auto file = disk.sync.open("/f", kCreate);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(disk.sync.write(*file, 0, "hello").value(), 5u);
  EXPECT_EQ(disk.sync.write(*file, 8, "xyz").value(), 3u);
  EXPECT_EQ(text_of(disk.sync.read(*file, 0, 100).value()), std::string("hello\0\0\0xyz", 11));
  EXPECT_EQ(text_of(disk.sync.read(*file, 1, 3).value()), "ell");
  EXPECT_EQ(text_of(disk.sync.read(*file, 9, 100).value()), "yz");  // short only at end of file
  EXPECT_TRUE(disk.sync.read(*file, 50, 10)->empty());
  EXPECT_EQ(disk.sync.write(*file, 2, "LL").value(), 2u);
  EXPECT_EQ(text_of(disk.fs.contents("/f")), std::string("heLLo\0\0\0xyz", 11));
  EXPECT_EQ(disk.sync.fstat(*file)->size_bytes, 11u);
  EXPECT_EQ(disk.sync.close(*file), io::Error::ok);
}

TEST(MemFs, open_reports_posix_errors) {
  Disk disk;
  ASSERT_EQ(disk.sync.mkdir("/dir"), io::Error::ok);
  ASSERT_EQ(disk.sync.write_file("/dir/file", "x", false), io::Error::ok);

  EXPECT_EQ(disk.sync.open("/missing", kReadOnly).error(), io::Error::not_found);
  EXPECT_EQ(disk.sync.open("/nodir/file", kCreate).error(), io::Error::not_found);
  EXPECT_EQ(disk.sync.open("/dir/file/below", kCreate).error(), io::Error::not_directory);
  EXPECT_EQ(disk.sync.open("/dir/file/", kReadOnly).error(), io::Error::not_directory);
  EXPECT_EQ(disk.sync.open("/dir/file", kCreateNew).error(), io::Error::already_exists);
  EXPECT_EQ(disk.sync.open("/dir", kCreateNew).error(), io::Error::already_exists);
  EXPECT_EQ(disk.sync.open("/dir", kReadWrite).error(), io::Error::is_directory);
  EXPECT_EQ(disk.sync.open("/", kCreate).error(), io::Error::is_directory);
  EXPECT_EQ(disk.sync.open("relative/path", kCreate).error(), io::Error::invalid_argument);
  EXPECT_EQ(disk.sync.open("/dir/../file", kCreate).error(), io::Error::invalid_argument);
  EXPECT_EQ(disk.sync.open("/dir/new", io::OpenFlags{.read = false, .write = false, .create = true}).error(),
            io::Error::invalid_argument);
  EXPECT_EQ(disk.sync.open("/dir/file", io::OpenFlags{.read = true, .write = false, .truncate = true}).error(),
            io::Error::invalid_argument);

  // Exclusive create of a new name works; repeated separators collapse as on POSIX.
  auto created = disk.sync.open("//dir//new", kCreateNew);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(disk.sync.close(*created), io::Error::ok);
  EXPECT_TRUE(disk.fs.contents("/dir/new").has_value());
  // A directory opens read-only; reading it is is_directory.
  auto dir = disk.sync.open("/dir", kReadOnly);
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(disk.sync.read(*dir, 0, 1).error(), io::Error::is_directory);
  EXPECT_EQ(disk.sync.close(*dir), io::Error::ok);
}

TEST(MemFs, directory_calls_report_posix_errors) {
  Disk disk;
  ASSERT_EQ(disk.sync.mkdir("/a"), io::Error::ok);
  ASSERT_EQ(disk.sync.write_file("/a/f", "x", false), io::Error::ok);

  EXPECT_EQ(disk.sync.mkdir("/a"), io::Error::already_exists);
  EXPECT_EQ(disk.sync.mkdir("/a/f"), io::Error::already_exists);
  EXPECT_EQ(disk.sync.mkdir("/"), io::Error::already_exists);
  EXPECT_EQ(disk.sync.mkdir("/x/y"), io::Error::not_found);
  EXPECT_EQ(disk.sync.mkdir("/a/f/y"), io::Error::not_directory);

  EXPECT_EQ(disk.sync.rmdir("/a"), io::Error::not_empty);
  EXPECT_EQ(disk.sync.rmdir("/a/f"), io::Error::not_directory);
  EXPECT_EQ(disk.sync.rmdir("/missing"), io::Error::not_found);
  EXPECT_EQ(disk.sync.rmdir("/"), io::Error::busy);

  EXPECT_EQ(disk.sync.unlink("/a"), io::Error::is_directory);
  EXPECT_EQ(disk.sync.unlink("/a/missing"), io::Error::not_found);
  EXPECT_EQ(disk.sync.unlink("/a/f/"), io::Error::not_directory);
  EXPECT_EQ(disk.sync.unlink("/a/f"), io::Error::ok);
  EXPECT_EQ(disk.sync.unlink("/a/f"), io::Error::not_found);
  EXPECT_EQ(disk.sync.rmdir("/a"), io::Error::ok);
  EXPECT_EQ(disk.sync.stat("/a").error(), io::Error::not_found);

  EXPECT_EQ(disk.sync.readdir("/missing").error(), io::Error::not_found);
  EXPECT_EQ(disk.sync.fsync_dir("/missing"), io::Error::not_found);
  ASSERT_EQ(disk.sync.write_file("/g", "x", false), io::Error::ok);
  EXPECT_EQ(disk.sync.readdir("/g").error(), io::Error::not_directory);
  EXPECT_EQ(disk.sync.fsync_dir("/g"), io::Error::not_directory);
  EXPECT_EQ(disk.sync.stat("/g/x").error(), io::Error::not_directory);
}

TEST(MemFs, rename_replaces_an_existing_file_in_one_step) {
  Disk disk;
  ASSERT_EQ(disk.sync.write_file("/old", "old", false), io::Error::ok);
  ASSERT_EQ(disk.sync.write_file("/new", "new", false), io::Error::ok);
  EXPECT_EQ(disk.sync.rename("/new", "/old"), io::Error::ok);
  EXPECT_EQ(text_of(disk.fs.contents("/old")), "new");
  EXPECT_FALSE(disk.fs.contents("/new").has_value());
  EXPECT_EQ(disk.fs.tree(), (std::vector<TreeEntry>{{"/old", io::FileKind::regular, 3}}));
}

TEST(MemFs, rename_reports_posix_errors) {
  Disk disk;
  ASSERT_EQ(disk.sync.mkdir("/d"), io::Error::ok);
  ASSERT_EQ(disk.sync.mkdir("/d/sub"), io::Error::ok);
  ASSERT_EQ(disk.sync.mkdir("/empty"), io::Error::ok);
  ASSERT_EQ(disk.sync.write_file("/f", "x", false), io::Error::ok);
  ASSERT_EQ(disk.sync.write_file("/d/sub/g", "y", false), io::Error::ok);

  EXPECT_EQ(disk.sync.rename("/missing", "/x"), io::Error::not_found);
  EXPECT_EQ(disk.sync.rename("/f", "/nodir/x"), io::Error::not_found);
  EXPECT_EQ(disk.sync.rename("/f", "/d"), io::Error::is_directory);
  EXPECT_EQ(disk.sync.rename("/d", "/f"), io::Error::not_directory);
  EXPECT_EQ(disk.sync.rename("/empty", "/d"), io::Error::not_empty);
  EXPECT_EQ(disk.sync.rename("/d", "/d/sub/inside"), io::Error::invalid_argument);
  EXPECT_EQ(disk.sync.rename("/", "/x"), io::Error::busy);
  EXPECT_EQ(disk.sync.rename("/f", "/f"), io::Error::ok);
  EXPECT_EQ(text_of(disk.fs.contents("/f")), "x");

  // A directory may replace an empty one, and moves with everything in it.
  EXPECT_EQ(disk.sync.rename("/d", "/empty"), io::Error::ok);
  EXPECT_EQ(text_of(disk.fs.contents("/empty/sub/g")), "y");
  EXPECT_EQ(disk.sync.stat("/d").error(), io::Error::not_found);
}

TEST(MemFs, readdir_lists_names_sorted_with_their_kinds) {
  Disk disk;
  for (const char* name : {"/b", "/a", "/C", "/a0"}) ASSERT_EQ(disk.sync.write_file(name, "", false), io::Error::ok);
  ASSERT_EQ(disk.sync.mkdir("/dir"), io::Error::ok);
  auto listing = disk.sync.readdir("/");
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(*listing, (std::vector<io::DirEntry>{{"C", io::FileKind::regular},
                                                 {"a", io::FileKind::regular},
                                                 {"a0", io::FileKind::regular},
                                                 {"b", io::FileKind::regular},
                                                 {"dir", io::FileKind::directory}}));
  EXPECT_TRUE(disk.sync.readdir("/dir")->empty());
}

TEST(MemFs, stat_reports_kind_size_mode_and_mtime_from_virtual_time) {
  Disk disk;
  disk.scheduler.run_for(5 * io::kNsPerS);
  ASSERT_EQ(disk.sync.write_file("/f", "12345", false), io::Error::ok);
  auto stat = disk.sync.stat("/f");
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->kind, io::FileKind::regular);
  EXPECT_EQ(stat->size_bytes, 5u);
  EXPECT_EQ(stat->mode, kFileMode);
  EXPECT_EQ(stat->mtime_ns, sim::kSimEpochWallNs + 5 * io::kNsPerS);

  auto root = disk.sync.stat("/");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->kind, io::FileKind::directory);
  EXPECT_EQ(root->mode, kDirectoryMode);

  EXPECT_EQ(disk.sync.set_mtime("/f", 1234), io::Error::ok);
  EXPECT_EQ(disk.sync.stat("/f")->mtime_ns, 1234);
  EXPECT_EQ(disk.sync.set_mtime("/missing", 1), io::Error::not_found);
}

TEST(MemFs, mtime_comes_from_the_clock_when_one_is_given) {
  sim::Trace trace;
  sim::Scheduler scheduler(trace);
  sim::SimClock clock(scheduler, 7 * io::kNsPerS);
  MemFs fs(scheduler, io::Prng(1), clock);
  testing::Sync sync(fs, scheduler);
  scheduler.run_for(io::kNsPerS);
  ASSERT_EQ(sync.write_file("/f", "x", false), io::Error::ok);
  EXPECT_EQ(sync.stat("/f")->mtime_ns, clock.wall_ns());
  EXPECT_EQ(sync.stat("/f")->mtime_ns, sim::kSimEpochWallNs + 8 * io::kNsPerS);
}

TEST(MemFs, handle_calls_report_bad_handle_or_the_access_error) {
  Disk disk;
  ASSERT_EQ(disk.sync.write_file("/f", "abc", false), io::Error::ok);
  auto reader = disk.sync.open("/f", kReadOnly);
  auto writer = disk.sync.open("/f", io::OpenFlags{.read = false, .write = true});
  ASSERT_TRUE(reader.ok() && writer.ok());
  EXPECT_NE(*reader, *writer);
  EXPECT_EQ(disk.sync.write(*reader, 0, "x").error(), io::Error::bad_handle);
  EXPECT_EQ(disk.sync.read(*writer, 0, 1).error(), io::Error::bad_handle);
  EXPECT_EQ(disk.sync.truncate(*reader, 0), io::Error::invalid_argument);
  EXPECT_EQ(disk.sync.close(*reader), io::Error::ok);

  const io::FileHandle unknown{999};
  for (const io::FileHandle handle : {*reader, unknown}) {
    EXPECT_EQ(disk.sync.close(handle), io::Error::bad_handle);
    EXPECT_EQ(disk.sync.read(handle, 0, 1).error(), io::Error::bad_handle);
    EXPECT_EQ(disk.sync.write(handle, 0, "x").error(), io::Error::bad_handle);
    EXPECT_EQ(disk.sync.fsync(handle), io::Error::bad_handle);
    EXPECT_EQ(disk.sync.truncate(handle, 0), io::Error::bad_handle);
    EXPECT_EQ(disk.sync.fstat(handle).error(), io::Error::bad_handle);
  }
  EXPECT_EQ(disk.sync.write(*writer, kMaxFileBytes, "x").error(), io::Error::invalid_argument);
  EXPECT_EQ(disk.sync.truncate(*writer, kMaxFileBytes + 1), io::Error::invalid_argument);
  EXPECT_EQ(disk.sync.close(*writer), io::Error::ok);
  EXPECT_EQ(disk.fs.open_file_count(), 0u);
}

TEST(MemFs, an_open_unlinked_file_stays_usable_through_its_handle) {
  Disk disk;
  ASSERT_EQ(disk.sync.write_file("/f", "before", false), io::Error::ok);
  auto file = disk.sync.open("/f", kReadWrite);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(disk.sync.unlink("/f"), io::Error::ok);
  EXPECT_EQ(disk.sync.stat("/f").error(), io::Error::not_found);
  EXPECT_TRUE(disk.fs.tree().empty());

  EXPECT_EQ(disk.sync.write(*file, 6, "+after").value(), 6u);
  EXPECT_EQ(text_of(disk.sync.read(*file, 0, 100).value()), "before+after");
  EXPECT_EQ(disk.sync.fsync(*file), io::Error::ok);
  EXPECT_EQ(disk.sync.fstat(*file)->size_bytes, 12u);
  // A new file under the old name is a different file.
  ASSERT_EQ(disk.sync.write_file("/f", "other", false), io::Error::ok);
  EXPECT_EQ(text_of(disk.sync.read(*file, 0, 100).value()), "before+after");
  EXPECT_EQ(disk.sync.close(*file), io::Error::ok);
  EXPECT_EQ(text_of(disk.fs.contents("/f")), "other");
}

TEST(MemFs, an_open_file_keeps_its_identity_across_rename) {
  Disk disk;
  ASSERT_EQ(disk.sync.mkdir("/d"), io::Error::ok);
  auto file = disk.sync.open("/a", kCreate);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(disk.sync.rename("/a", "/d/b"), io::Error::ok);
  EXPECT_EQ(disk.sync.write(*file, 0, "moved").value(), 5u);
  EXPECT_EQ(text_of(disk.fs.contents("/d/b")), "moved");
  EXPECT_EQ(disk.sync.close(*file), io::Error::ok);
}

TEST(MemFs, truncate_shrinks_or_extends_with_zeros) {
  Disk disk;
  auto file = disk.sync.open("/f", kCreate);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(disk.sync.write(*file, 0, "abcdef").ok());
  EXPECT_EQ(disk.sync.truncate(*file, 3), io::Error::ok);
  EXPECT_EQ(text_of(disk.fs.contents("/f")), "abc");
  EXPECT_EQ(disk.sync.truncate(*file, 5), io::Error::ok);
  EXPECT_EQ(text_of(disk.fs.contents("/f")), std::string("abc\0\0", 5));
  EXPECT_EQ(disk.sync.close(*file), io::Error::ok);

  io::OpenFlags truncating = kReadWrite;
  truncating.truncate = true;
  auto again = disk.sync.open("/f", truncating);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(disk.sync.fstat(*again)->size_bytes, 0u);
  EXPECT_EQ(disk.sync.close(*again), io::Error::ok);
}

TEST(MemFs, too_many_open_files_is_reported_not_fatal) {
  Disk disk;
  ASSERT_EQ(disk.sync.write_file("/f", "x", false), io::Error::ok);
  std::vector<io::FileHandle> handles;
  for (std::size_t i = 0; i < kMaxOpenFiles; ++i) {
    auto file = disk.sync.open("/f", kReadOnly);
    ASSERT_TRUE(file.ok());
    handles.push_back(*file);
  }
  EXPECT_EQ(disk.sync.open("/f", kReadOnly).error(), io::Error::too_many_open);
  EXPECT_EQ(disk.sync.close(handles.back()), io::Error::ok);
  EXPECT_TRUE(disk.sync.open("/f", kReadOnly).ok());
}

// As a user who is not root: the owner's write bit decides; a handle opened before
// keeps writing. Without the option (root) nothing is refused.
TEST(MemFs, the_owner_write_bits_refuse_what_they_forbid_only_when_enforced) {
  for (const bool enforced : {false, true}) {
    Disk disk(1, MemFsOptions{.enforce_owner_write_bits = enforced});
    const io::Error refused = enforced ? io::Error::permission_denied : io::Error::ok;
    ASSERT_EQ(disk.sync.mkdir("/ro"), io::Error::ok);
    ASSERT_EQ(disk.sync.mkdir("/rw"), io::Error::ok);
    ASSERT_EQ(disk.sync.write_file("/ro/f", "x", false), io::Error::ok);
    ASSERT_EQ(disk.sync.write_file("/ro/g", "x", false), io::Error::ok);
    ASSERT_EQ(disk.sync.mkdir("/ro/d"), io::Error::ok);
    ASSERT_EQ(disk.sync.mkdir("/ro/e"), io::Error::ok);
    auto earlier = disk.sync.open("/ro/f", kReadWrite);
    ASSERT_TRUE(earlier.ok());
    ASSERT_EQ(disk.sync.set_mode("/ro/f", 0444), io::Error::ok);
    ASSERT_EQ(disk.sync.set_mode("/ro", 0555), io::Error::ok);

    EXPECT_EQ(disk.sync.open("/ro/f", kReadWrite).error(), refused) << "enforced " << enforced;
    EXPECT_TRUE(disk.sync.open("/ro/f", kReadOnly).ok()) << "reads are never refused";
    EXPECT_EQ(disk.sync.write(*earlier, 0, "y").error(), io::Error::ok) << "a handle opened before keeps writing";
    EXPECT_EQ(disk.sync.open("/ro/new", kCreate).error(), refused);
    EXPECT_EQ(disk.sync.mkdir("/ro/newdir"), refused);
    EXPECT_EQ(disk.sync.unlink("/ro/g"), refused);
    EXPECT_EQ(disk.sync.rmdir("/ro/e"), refused);
    EXPECT_EQ(disk.sync.rename("/ro/d", "/rw/d"), refused) << "out of a read-only directory";
    ASSERT_EQ(disk.sync.write_file("/rw/h", "x", false), io::Error::ok);
    EXPECT_EQ(disk.sync.rename("/rw/h", "/ro/h"), refused) << "into a read-only directory";
    EXPECT_EQ(disk.sync.set_mode("/ro/f", 0644), io::Error::ok) << "the owner may always change the mode";
    EXPECT_TRUE(disk.sync.open("/ro/f", kReadWrite).ok());
  }
}

TEST(MemFs, tree_lists_everything_depth_first_in_name_order) {
  Disk disk;
  ASSERT_EQ(disk.sync.mkdir("/b"), io::Error::ok);
  ASSERT_EQ(disk.sync.write_file("/b/z", "zz", false), io::Error::ok);
  ASSERT_EQ(disk.sync.write_file("/a", "a", false), io::Error::ok);
  ASSERT_EQ(disk.sync.write_file("/c", "", false), io::Error::ok);
  EXPECT_EQ(disk.fs.tree(), (std::vector<TreeEntry>{{"/a", io::FileKind::regular, 1},
                                                    {"/b", io::FileKind::directory, 0},
                                                    {"/b/z", io::FileKind::regular, 2},
                                                    {"/c", io::FileKind::regular, 0}}));
  // Nothing was fsynced: the durable tree is still empty.
  EXPECT_TRUE(disk.fs.durable_tree().empty());
}

TEST(MemFs, install_file_makes_a_durable_file_with_its_directories) {
  Disk disk;
  disk.fs.install_file("/data/state", bytes_of("v1"));
  EXPECT_EQ(text_of(disk.fs.contents("/data/state")), "v1");
  EXPECT_EQ(text_of(disk.fs.durable_contents("/data/state")), "v1");
  EXPECT_EQ(disk.fs.durable_tree(), disk.fs.tree());
}

}  // namespace
}  // namespace hamirror::fsim
