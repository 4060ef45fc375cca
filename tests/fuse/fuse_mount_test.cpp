// A FUSE mount over a backing directory, its changes applied by the core's OpApplier to
// two copies (MirrorSink): what applications do through the mount ends up identical
// on both copies, and errors reach them as errno.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/fuse/fuse_test_support.h"

namespace hamirror::test {
namespace {

namespace fs = std::filesystem;

class FuseMountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_FUSE();
    mount_ = std::make_unique<MirroredMount>(dirs_);
    ASSERT_EQ(mount_->start(), "");
  }
  void TearDown() override { mount_.reset(); }

  std::string at(const std::string& name) const { return (dirs_.mnt() / name).string(); }
  void expect_identical_copies() {
    EXPECT_EQ(snapshot(dirs_.primary()), snapshot(dirs_.secondary()));
  }
  int open_file(const std::string& name, int flags) {
    const int fd = ::open(at(name).c_str(), flags | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0) << name << ": " << std::strerror(errno);
    return fd;
  }
  void write_all(int fd, const std::string& text) {
    EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size())) << std::strerror(errno);
  }
  std::string read_at(int fd, std::size_t size, off_t offset) {
    std::string text(size, '\0');
    const ssize_t got = ::pread(fd, text.data(), size, offset);
    EXPECT_GE(got, 0) << std::strerror(errno);
    text.resize(got < 0 ? 0 : static_cast<std::size_t>(got));
    return text;
  }

  ScratchDirs dirs_;
  std::unique_ptr<MirroredMount> mount_;
};

TEST_F(FuseMountTest, writes_renames_directories_truncate_and_fsync_through_the_mount_reach_both_copies) {
  ASSERT_EQ(std::system(("echo 'a much longer first line' > " + at("a.txt")).c_str()), 0);
  ASSERT_EQ(std::system(("echo hello > " + at("a.txt")).c_str()), 0);  // O_TRUNC: a replicated truncate
  ASSERT_EQ(std::system(("dd if=/dev/urandom of=" + at("big.bin") + " bs=1M count=3 conv=fsync status=none").c_str()),
            0);
  ASSERT_EQ(::mkdir(at("dir").c_str(), 0755), 0) << std::strerror(errno);
  ASSERT_EQ(::mkdir(at("dir/sub").c_str(), 0755), 0);
  write_file(at("dir/sub/note.txt"), "inside");
  ASSERT_EQ(::rename(at("dir").c_str(), at("moved").c_str()), 0) << std::strerror(errno);
  ASSERT_EQ(::mkdir(at("empty").c_str(), 0755), 0);
  ASSERT_EQ(::rmdir(at("empty").c_str()), 0) << std::strerror(errno);
  ASSERT_EQ(::truncate(at("a.txt").c_str(), 3), 0) << std::strerror(errno);
  const int fd = open_file("a.txt", O_WRONLY | O_APPEND);
  write_all(fd, "p!");
  EXPECT_EQ(::fsync(fd), 0) << std::strerror(errno);
  EXPECT_EQ(::fdatasync(fd), 0) << std::strerror(errno);
  ::close(fd);

  EXPECT_EQ(read_file(at("a.txt")), "help!");
  EXPECT_EQ(read_file(at("moved/sub/note.txt")), "inside");
  EXPECT_FALSE(fs::exists(at("dir")));
  EXPECT_EQ(fs::file_size(at("big.bin")), 3u * 1024 * 1024);
  EXPECT_EQ(read_file(at("big.bin")), read_file(dirs_.primary() / "big.bin"));
  expect_identical_copies();
  // 1 MiB writes were negotiated: dd's blocks arrive whole, one op each.
  EXPECT_EQ(mount_->on_loop<std::size_t>([this] { return mount_->sink().max_write_bytes_; }), 1024u * 1024);
  EXPECT_GE(mount_->on_loop<int>([this] { return mount_->sink().ops_[core::OpKind::fsync]; }), 3);
}

TEST_F(FuseMountTest, each_o_sync_and_o_dsync_write_is_followed_by_a_replicated_fsync_also_with_o_direct) {
  const auto fsyncs = [this] { return mount_->on_loop<int>([this] { return mount_->sink().ops_[core::OpKind::fsync]; }); };
  // O_DIRECT needs an aligned buffer.
  void* block = nullptr;
  ASSERT_EQ(::posix_memalign(&block, 4096, 4096), 0);
  std::memset(block, 'd', 4096);
  for (const int flags : {O_DSYNC, O_SYNC, O_DIRECT | O_DSYNC, O_DIRECT | O_SYNC}) {
    const int fd = open_file("sync.bin", O_CREAT | O_WRONLY | flags);
    const int before = fsyncs();
    EXPECT_EQ(::write(fd, block, 4096), 4096) << std::strerror(errno);
    EXPECT_EQ(::write(fd, block, 4096), 4096) << std::strerror(errno);
    EXPECT_EQ(fsyncs() - before, 2) << "flags " << std::hex << flags;
    ::close(fd);
  }
  const int fd = open_file("sync.bin", O_WRONLY | O_DIRECT);
  const int before = fsyncs();
  EXPECT_EQ(::write(fd, block, 4096), 4096) << std::strerror(errno);
  EXPECT_EQ(fsyncs(), before) << "a plain O_DIRECT write is not synced";
  ::close(fd);
  std::free(block);
  expect_identical_copies();
}

TEST_F(FuseMountTest, a_modification_time_set_through_the_mount_reaches_both_copies) {
  write_file(at("dated.txt"), "x");
  const timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT}, {.tv_sec = 1'000'000'000, .tv_nsec = 123'456'789}};
  ASSERT_EQ(::utimensat(AT_FDCWD, at("dated.txt").c_str(), times, 0), 0) << std::strerror(errno);
  // Microseconds survive (the uv backend sets times through uv_fs_utime, a double).
  std::vector<std::int64_t> mtimes_ns;
  for (const auto& copy : {dirs_.primary(), dirs_.secondary()}) {
    struct stat attr {};
    ASSERT_EQ(::stat((copy / "dated.txt").c_str(), &attr), 0);
    mtimes_ns.push_back(std::int64_t{attr.st_mtim.tv_sec} * 1'000'000'000 + attr.st_mtim.tv_nsec);
    EXPECT_NEAR(static_cast<double>(mtimes_ns.back()), 1'000'000'000'123'456'789.0, 1000.0) << copy;
  }
  EXPECT_EQ(mtimes_ns[0], mtimes_ns[1]);
  struct stat through_mount {};
  ASSERT_EQ(::stat(at("dated.txt").c_str(), &through_mount), 0);
  EXPECT_EQ(through_mount.st_mtim.tv_sec, 1'000'000'000);
}

// What SQLite's WAL index does: a shared writable mapping (this is why the mount uses
// the page cache and not direct_io).
TEST_F(FuseMountTest, a_shared_mapping_written_and_msynced_reaches_both_copies) {
  const int fd = open_file("mapped.bin", O_CREAT | O_RDWR);
  ASSERT_EQ(::ftruncate(fd, 8192), 0) << std::strerror(errno);
  void* map = ::mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(map, MAP_FAILED) << std::strerror(errno);
  std::memcpy(static_cast<char*>(map) + 4096, "mapped", 6);
  EXPECT_EQ(::msync(map, 8192, MS_SYNC), 0) << std::strerror(errno);
  ::munmap(map, 8192);
  ::close(fd);
  EXPECT_EQ(read_file(dirs_.secondary() / "mapped.bin").substr(4096, 6), "mapped");
  expect_identical_copies();
}

TEST_F(FuseMountTest, a_file_renamed_while_open_is_still_written_through_its_descriptor) {
  const int fd = open_file("before.txt", O_CREAT | O_RDWR);
  write_all(fd, "one ");
  ASSERT_EQ(::rename(at("before.txt").c_str(), at("after.txt").c_str()), 0) << std::strerror(errno);
  write_all(fd, "two");
  EXPECT_EQ(read_at(fd, 100, 0), "one two");
  ::close(fd);
  EXPECT_EQ(read_file(dirs_.primary() / "after.txt"), "one two");
  EXPECT_FALSE(fs::exists(dirs_.primary() / "before.txt"));
  expect_identical_copies();
}

TEST_F(FuseMountTest, an_unlinked_open_file_is_written_and_read_until_its_last_close_on_both_copies) {
  const int fd = open_file("doomed.txt", O_CREAT | O_RDWR);
  write_all(fd, "still ");
  ASSERT_EQ(::unlink(at("doomed.txt").c_str()), 0) << std::strerror(errno);
  EXPECT_FALSE(fs::exists(at("doomed.txt")));
  write_all(fd, "here");
  EXPECT_EQ(read_at(fd, 100, 0), "still here");
  struct stat attr {};
  ASSERT_EQ(::fstat(fd, &attr), 0);
  EXPECT_EQ(attr.st_size, 10);
  // Kept on both copies, under a name the mount does not show.
  const auto hidden = [](const fs::path& copy) {
    std::vector<std::string> contents;
    for (const auto& entry : fs::recursive_directory_iterator(copy)) {
      if (entry.is_regular_file()) contents.push_back(read_file(entry.path()));
    }
    return contents;
  };
  EXPECT_EQ(hidden(dirs_.primary()), std::vector<std::string>{"still here"});
  EXPECT_EQ(hidden(dirs_.secondary()), std::vector<std::string>{"still here"});
  EXPECT_TRUE(fs::is_empty(dirs_.mnt())) << "readdir shows the hidden area";
  EXPECT_FALSE(fs::exists(at(".hamirror-unlinked")));
  expect_identical_copies();
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return hidden(dirs_.primary()).empty() && hidden(dirs_.secondary()).empty(); }))
      << "the unlink was not replicated at the last close";
  expect_identical_copies();
}

TEST_F(FuseMountTest, a_file_replaced_by_a_rename_while_open_keeps_its_data_until_closed) {
  write_file(at("target.txt"), "old");
  write_file(at("new.txt"), "new");
  const int fd = open_file("target.txt", O_RDWR);
  ASSERT_EQ(::rename(at("new.txt").c_str(), at("target.txt").c_str()), 0) << std::strerror(errno);
  write_all(fd, "OLD!");
  EXPECT_EQ(read_at(fd, 100, 0), "OLD!");
  EXPECT_EQ(read_file(at("target.txt")), "new");
  expect_identical_copies();
  ::close(fd);
  // Left: target.txt and the (empty) hidden area, on both copies.
  EXPECT_TRUE(eventually([&] { return snapshot(dirs_.primary()).size() == 2 && snapshot(dirs_.secondary()).size() == 2; }))
      << "the replaced file was not removed at its last close";
  EXPECT_EQ(read_file(dirs_.secondary() / "target.txt"), "new");
  expect_identical_copies();
}

TEST_F(FuseMountTest, a_node_that_is_not_primary_answers_erofs_to_every_change) {
  write_file(at("kept.txt"), "kept");
  const int writer = open_file("kept.txt", O_WRONLY);
  mount_->sink().writable_ = false;
  EXPECT_EQ(::write(writer, "x", 1), -1);
  EXPECT_EQ(errno, EROFS);
  ::close(writer);
  EXPECT_EQ(::open(at("kept.txt").c_str(), O_WRONLY), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::open(at("new.txt").c_str(), O_CREAT | O_WRONLY, 0644), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::mkdir(at("dir").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::unlink(at("kept.txt").c_str()), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::truncate(at("kept.txt").c_str(), 0), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::chmod(at("kept.txt").c_str(), 0600), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(read_file(at("kept.txt")), "kept") << "reads still work";
  expect_identical_copies();
}

TEST_F(FuseMountTest, errors_from_the_sink_reach_write_and_fsync_as_errno) {
  const int fd = open_file("file.txt", O_CREAT | O_RDWR);
  mount_->sink().fail_writes_ = io::Error::no_space;
  EXPECT_EQ(::write(fd, "abc", 3), -1);
  EXPECT_EQ(errno, ENOSPC);
  mount_->sink().fail_writes_ = io::Error::connection_reset;  // the peer was lost while the write waited
  EXPECT_EQ(::write(fd, "abc", 3), -1);
  EXPECT_EQ(errno, EIO);
  mount_->sink().fail_writes_ = io::Error::ok;
  write_all(fd, "fine");
  mount_->sink().fail_fsyncs_ = io::Error::io_error;
  EXPECT_EQ(::fsync(fd), -1);
  EXPECT_EQ(errno, EIO);
  mount_->sink().fail_fsyncs_ = io::Error::ok;
  EXPECT_EQ(::fsync(fd), 0);
  ::close(fd);
}

TEST_F(FuseMountTest, a_mode_set_through_the_mount_reaches_both_copies) {
  write_file(at("script.sh"), "#!/bin/sh\n");
  ASSERT_EQ(::mkdir(at("private").c_str(), 0755), 0) << std::strerror(errno);
  ASSERT_EQ(::chmod(at("script.sh").c_str(), 0750), 0) << std::strerror(errno);
  ASSERT_EQ(::chmod(at("private").c_str(), 01700), 0) << std::strerror(errno);
  for (const auto& copy : {dirs_.primary(), dirs_.secondary()}) {
    struct stat attr {};
    ASSERT_EQ(::stat((copy / "script.sh").c_str(), &attr), 0);
    EXPECT_EQ(attr.st_mode & 07777, 0750u) << copy;
    ASSERT_EQ(::stat((copy / "private").c_str(), &attr), 0);
    EXPECT_EQ(attr.st_mode & 07777, 01700u) << copy;
  }
  ASSERT_EQ(std::system(("chmod o+r " + at("script.sh")).c_str()), 0) << "what an installer does";
  struct stat through_mount {};
  ASSERT_EQ(::stat(at("script.sh").c_str(), &through_mount), 0);
  EXPECT_EQ(through_mount.st_mode & 07777, 0754u);
  expect_identical_copies();
}

TEST_F(FuseMountTest, new_files_and_directories_get_the_mode_the_application_asked_for_on_both_copies) {
  const int key = ::open(at("key.pem").c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(key, 0) << std::strerror(errno);
  write_all(key, "secret");
  ::close(key);
  ASSERT_EQ(::mkdir(at("private").c_str(), 0700), 0) << std::strerror(errno);
  ASSERT_EQ(::mknod(at("private/made").c_str(), S_IFREG | 0604, 0), 0) << std::strerror(errno);
  // The caller's umask applies, as on any file system.
  const mode_t umask_before = ::umask(027);
  const int shared = ::open(at("private/shared.txt").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
  const int group = ::mkdir(at("private/group").c_str(), 0777);
  ::umask(umask_before);
  ASSERT_GE(shared, 0) << std::strerror(errno);
  ::close(shared);
  ASSERT_EQ(group, 0) << std::strerror(errno);
  const std::vector<std::pair<std::string, unsigned>> expected = {
      {"key.pem", 0600}, {"private", 0700}, {"private/made", 0604}, {"private/shared.txt", 0640}, {"private/group", 0750}};
  for (const auto& copy : {dirs_.primary(), dirs_.secondary()}) {
    for (const auto& [name, mode] : expected) {
      struct stat attr {};
      ASSERT_EQ(::stat((copy / name).c_str(), &attr), 0) << copy / name;
      EXPECT_EQ(attr.st_mode & 07777, mode) << copy / name;
    }
  }
  expect_identical_copies();
}

TEST_F(FuseMountTest, links_device_nodes_and_owner_changes_are_refused_as_not_replicated) {
  write_file(at("file.txt"), "x");
  EXPECT_EQ(::symlink("file.txt", at("link").c_str()), -1);
  EXPECT_EQ(errno, ENOTSUP);
  EXPECT_EQ(::link(at("file.txt").c_str(), at("hard").c_str()), -1);
  EXPECT_EQ(errno, ENOTSUP);
  EXPECT_EQ(::mkfifo(at("fifo").c_str(), 0644), -1);
  EXPECT_EQ(errno, ENOTSUP);
  struct stat attr {};
  ASSERT_EQ(::stat(at("file.txt").c_str(), &attr), 0);
  EXPECT_EQ(::chown(at("file.txt").c_str(), attr.st_uid + 1, static_cast<gid_t>(-1)), -1) << "uids differ between machines";
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::chown(at("file.txt").c_str(), attr.st_uid, attr.st_gid), 0) << "a chown that changes nothing";
  expect_identical_copies();
}

TEST_F(FuseMountTest, stop_answers_a_write_still_waiting_for_the_sink_with_eio) {
  const int fd = open_file("waiting.txt", O_CREAT | O_WRONLY);
  mount_->sink().hold_writes_ = true;
  ssize_t written = 0;
  int write_errno = 0;
  std::thread writer([&] {
    written = ::write(fd, "x", 1);
    write_errno = errno;
  });
  const bool held = eventually([this] { return mount_->on_loop<std::size_t>([this] { return mount_->sink().held_.size(); }) == 1; });
  mount_->stop();
  writer.join();
  ASSERT_TRUE(held) << "the write never reached the sink";
  EXPECT_EQ(written, -1);
  EXPECT_EQ(write_errno, EIO);
  ::close(fd);
}

TEST_F(FuseMountTest, stop_unmounts_even_while_a_file_is_open) {
  write_file(at("open.txt"), "x");
  const int fd = open_file("open.txt", O_RDONLY);
  mount_->stop();
  struct stat mnt {};
  struct stat parent {};
  ASSERT_EQ(::stat(dirs_.mnt().c_str(), &mnt), 0) << std::strerror(errno);
  ASSERT_EQ(::stat(dirs_.mnt().parent_path().c_str(), &parent), 0);
  EXPECT_EQ(mnt.st_dev, parent.st_dev) << "still mounted";
  ::close(fd);
}

}  // namespace
}  // namespace hamirror::test
