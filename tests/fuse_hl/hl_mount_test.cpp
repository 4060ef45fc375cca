// The high-level frontend (the one WinFsp runs on Windows), mounted with libfuse3 on
// Linux over a MirrorSink: the cases of the low-level frontend's tests — writes, rename,
// unlink, fsync, chmod and the modes of new entries replicated to both copies; EROFS on a secondary; a replication failure as
// EIO — and the Windows semantics Linux can show: names without regard to case.
// Needs root and /dev/fuse (skipped with the reason otherwise; CI has both).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "tests/fuse_hl/hl_mount_support.h"

namespace hamirror::test {
namespace {

namespace fs = std::filesystem;

class HlMount : public ::testing::Test {
 protected:
  void mount(bool case_insensitive = false) {
    mount_ = std::make_unique<HlMirroredMount>(dirs_, case_insensitive);
    const std::string error = mount_->start();
    ASSERT_EQ(error, "");
  }
  // Both copies hold the same entries, byte for byte.
  void expect_copies_equal() { EXPECT_EQ(snapshot(dirs_.primary()), snapshot(dirs_.secondary())); }

  ScratchDirs dirs_;
  std::unique_ptr<HlMirroredMount> mount_;  // after dirs_: unmounted first
};

TEST_F(HlMount, writes_through_the_mount_reach_both_copies_before_write_returns) {
  SKIP_WITHOUT_FUSE();
  mount();
  fs::create_directories(dirs_.mnt() / "logs");
  write_file(dirs_.mnt() / "logs" / "app.log", "first line\n");
  EXPECT_EQ(read_file(dirs_.secondary() / "logs" / "app.log"), "first line\n");
  EXPECT_EQ(read_file(dirs_.mnt() / "logs" / "app.log"), "first line\n");
  const std::string big(3 * 1024 * 1024 + 17, 'x');  // more than one op
  write_file(dirs_.mnt() / "big.bin", big);
  EXPECT_EQ(read_file(dirs_.secondary() / "big.bin"), big);
  EXPECT_GE(mount_->ops_of(core::OpKind::write), 2);
  expect_copies_equal();
}

TEST_F(HlMount, rename_and_unlink_are_replicated) {
  SKIP_WITHOUT_FUSE();
  mount();
  write_file(dirs_.mnt() / "draft.txt", "text");
  fs::rename(dirs_.mnt() / "draft.txt", dirs_.mnt() / "final.txt");
  EXPECT_FALSE(fs::exists(dirs_.secondary() / "draft.txt"));
  EXPECT_EQ(read_file(dirs_.secondary() / "final.txt"), "text");
  fs::create_directory(dirs_.mnt() / "old");
  fs::remove(dirs_.mnt() / "final.txt");
  fs::remove(dirs_.mnt() / "old");
  EXPECT_FALSE(fs::exists(dirs_.secondary() / "final.txt"));
  EXPECT_FALSE(fs::exists(dirs_.secondary() / "old"));
  expect_copies_equal();
}

TEST_F(HlMount, an_open_file_that_is_unlinked_stays_readable_and_goes_at_its_last_close_on_both_copies) {
  SKIP_WITHOUT_FUSE();
  mount();
  write_file(dirs_.mnt() / "open.txt", "still here");
  const int fd = ::open((dirs_.mnt() / "open.txt").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  fs::remove(dirs_.mnt() / "open.txt");
  EXPECT_FALSE(fs::exists(dirs_.mnt() / "open.txt"));
  char buffer[16] = {};
  EXPECT_EQ(::pread(fd, buffer, sizeof buffer, 0), 10);
  EXPECT_EQ(std::string(buffer), "still here");
  ::close(fd);
  EXPECT_TRUE(eventually([&] { return snapshot(dirs_.primary()).empty() && snapshot(dirs_.secondary()).empty(); }))
      << "left on the primary: " << snapshot(dirs_.primary()).size() << ", on the secondary: " << snapshot(dirs_.secondary()).size();
}

TEST_F(HlMount, fsync_and_fdatasync_are_replicated_as_fsync_ops) {
  SKIP_WITHOUT_FUSE();
  mount();
  const int fd = ::open((dirs_.mnt() / "db").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "page", 4), 4);
  EXPECT_EQ(::fsync(fd), 0);
  EXPECT_EQ(::fdatasync(fd), 0);
  ::close(fd);
  EXPECT_EQ(mount_->ops_of(core::OpKind::fsync), 2);
  EXPECT_EQ(read_file(dirs_.secondary() / "db"), "page");
}

TEST_F(HlMount, a_chmod_is_replicated_and_a_chown_that_changes_the_owner_is_refused) {
  SKIP_WITHOUT_FUSE();
  mount();
  write_file(dirs_.mnt() / "tool", "x");
  ASSERT_EQ(::chmod((dirs_.mnt() / "tool").c_str(), 0751), 0) << std::strerror(errno);
  for (const auto& copy : {dirs_.primary(), dirs_.secondary()}) {
    EXPECT_EQ(static_cast<unsigned>(fs::status(copy / "tool").permissions()), 0751u) << copy;
  }
  struct stat attr {};
  ASSERT_EQ(::stat((dirs_.mnt() / "tool").c_str(), &attr), 0);
  EXPECT_EQ(::chown((dirs_.mnt() / "tool").c_str(), attr.st_uid + 1, static_cast<gid_t>(-1)), -1);
  EXPECT_EQ(errno, EPERM);
  expect_copies_equal();
}

TEST_F(HlMount, new_files_and_directories_get_the_mode_the_application_asked_for_on_both_copies) {
  SKIP_WITHOUT_FUSE();
  mount();
  const int key = ::open((dirs_.mnt() / "key.pem").c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(key, 0) << std::strerror(errno);
  ::close(key);
  ASSERT_EQ(::mkdir((dirs_.mnt() / "private").c_str(), 0700), 0) << std::strerror(errno);
  const mode_t umask_before = ::umask(077);
  const int group = ::mkdir((dirs_.mnt() / "private" / "group").c_str(), 0770);
  ::umask(umask_before);
  ASSERT_EQ(group, 0) << std::strerror(errno);
  for (const auto& copy : {dirs_.primary(), dirs_.secondary()}) {
    EXPECT_EQ(static_cast<unsigned>(fs::status(copy / "key.pem").permissions()), 0600u) << copy;
    EXPECT_EQ(static_cast<unsigned>(fs::status(copy / "private").permissions()), 0700u) << copy;
    EXPECT_EQ(static_cast<unsigned>(fs::status(copy / "private" / "group").permissions()), 0700u) << copy << ": less the umask";
  }
  expect_copies_equal();
}

TEST_F(HlMount, a_secondary_refuses_changes_with_erofs_and_still_serves_reads) {
  SKIP_WITHOUT_FUSE();
  write_file(dirs_.primary() / "existing.txt", "replicated earlier");
  mount();
  mount_->sink().writable_ = false;
  EXPECT_EQ(read_file(dirs_.mnt() / "existing.txt"), "replicated earlier");
  EXPECT_EQ(::open((dirs_.mnt() / "existing.txt").c_str(), O_WRONLY), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::open((dirs_.mnt() / "new.txt").c_str(), O_WRONLY | O_CREAT, 0644), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::mkdir((dirs_.mnt() / "dir").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::rename((dirs_.mnt() / "existing.txt").c_str(), (dirs_.mnt() / "moved.txt").c_str()), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::chmod((dirs_.mnt() / "existing.txt").c_str(), 0600), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_FALSE(fs::exists(dirs_.secondary() / "new.txt"));
}

TEST_F(HlMount, a_write_that_cannot_be_replicated_fails_with_eio) {
  SKIP_WITHOUT_FUSE();
  mount();
  const int fd = ::open((dirs_.mnt() / "data").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  mount_->sink().fail_writes_ = io::Error::connection_reset;  // the peer was lost
  EXPECT_EQ(::write(fd, "x", 1), -1);
  EXPECT_EQ(errno, EIO);
  ::close(fd);
}

TEST_F(HlMount, case_insensitive_names_reach_the_stored_file_and_ops_carry_its_stored_case) {
  SKIP_WITHOUT_FUSE();
  mount(/*case_insensitive=*/true);
  fs::create_directory(dirs_.mnt() / "Reports");
  write_file(dirs_.mnt() / "Reports" / "Q3.txt", "draft");
  // Another case, as a Windows application may write it: the same file.
  {
    std::ofstream append(dirs_.mnt() / "REPORTS" / "q3.TXT", std::ios::app);
    append << " final";
  }
  EXPECT_EQ(read_file(dirs_.mnt() / "reports" / "q3.txt"), "draft final");
  EXPECT_EQ(read_file(dirs_.secondary() / "Reports" / "Q3.txt"), "draft final");
  EXPECT_FALSE(fs::exists(dirs_.secondary() / "REPORTS")) << "an op named the file in another case";
  // A case-only rename keeps the new case.
  fs::rename(dirs_.mnt() / "Reports" / "Q3.txt", dirs_.mnt() / "Reports" / "q3.txt");
  EXPECT_TRUE(fs::exists(dirs_.secondary() / "Reports" / "q3.txt"));
  EXPECT_FALSE(fs::exists(dirs_.secondary() / "Reports" / "Q3.txt"));
  expect_copies_equal();
}

TEST_F(HlMount, without_case_insensitivity_names_differing_in_case_are_different_files) {
  SKIP_WITHOUT_FUSE();
  mount();
  write_file(dirs_.mnt() / "Name", "upper");
  write_file(dirs_.mnt() / "name", "lower");
  EXPECT_EQ(read_file(dirs_.secondary() / "Name"), "upper");
  EXPECT_EQ(read_file(dirs_.secondary() / "name"), "lower");
}

// FUSE's thread is blocked in the write's callback, waiting for the loop that stops the
// mount: the stop must answer it (EIO) rather than wait for it forever.
TEST_F(HlMount, stop_answers_a_write_still_waiting_for_the_sink_with_eio) {
  SKIP_WITHOUT_FUSE();
  mount();
  const int fd = ::open((dirs_.mnt() / "waiting.txt").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  mount_->sink().hold_writes_ = true;
  ssize_t written = 0;
  int write_errno = 0;
  std::thread writer([&] {
    written = ::write(fd, "x", 1);
    write_errno = errno;
  });
  const bool held = eventually([this] { return mount_->held_writes() == 1; });
  mount_->stop();
  writer.join();
  ASSERT_TRUE(held) << "the write never reached the sink";
  EXPECT_EQ(written, -1);
  EXPECT_EQ(write_errno, EIO);
  ::close(fd);
}

TEST_F(HlMount, stop_unmounts_even_while_a_file_is_open) {
  SKIP_WITHOUT_FUSE();
  mount();
  write_file(dirs_.mnt() / "open.txt", "x");
  const int fd = ::open((dirs_.mnt() / "open.txt").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
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
