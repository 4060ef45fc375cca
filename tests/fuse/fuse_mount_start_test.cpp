// Starting a mount: a stale mount left by a killed daemon is recovered, a missing
// mount point is a clear error, and files a crash left in the hidden area are removed
// from both copies at the first change.
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tests/fuse/fuse_test_support.h"

namespace hamirror::test {
namespace {

namespace fs = std::filesystem;

bool any_line_contains(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

// A child process that mounts dirs.mnt(), says so on a pipe, and waits to be killed.
pid_t mount_in_child(const ScratchDirs& dirs) {
  int ready[2];
  if (::pipe(ready) != 0) return -1;
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(ready[0]);
    {
      MirroredMount mount(dirs);
      if (mount.start().empty() && ::write(ready[1], "x", 1) == 1) ::pause();
    }
    ::_exit(1);
  }
  ::close(ready[1]);
  char byte = 0;
  const bool mounted = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  if (!mounted) {
    ::waitpid(child, nullptr, 0);
    return -1;
  }
  return child;
}

TEST(FuseMountStart, a_stale_mount_left_by_a_killed_process_is_lazily_unmounted_and_mounted_again) {
  SKIP_WITHOUT_FUSE();
  ScratchDirs dirs;
  // Forked before this process starts any thread.
  const pid_t child = mount_in_child(dirs);
  ASSERT_GT(child, 0) << "the child could not mount";
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  struct statfs attr {};
  ASSERT_EQ(::statfs(dirs.mnt().c_str(), &attr), -1);
  ASSERT_EQ(errno, ENOTCONN) << "the killed process did not leave a stale mount";

  MirroredMount mount(dirs);
  ASSERT_EQ(mount.start(), "");
  EXPECT_TRUE(any_line_contains(mount.log(), "stale mount")) << "the recovery was not logged";
  write_file(dirs.mnt() / "after.txt", "works");
  EXPECT_EQ(read_file(dirs.secondary() / "after.txt"), "works");
}

TEST(FuseMountStart, a_missing_mount_point_is_a_clear_error_and_nothing_is_mounted) {
  SKIP_WITHOUT_FUSE();
  ScratchDirs dirs;
  fs::remove(dirs.mnt());
  MirroredMount mount(dirs);
  const std::string error = mount.start();
  EXPECT_NE(error.find(dirs.mnt().string()), std::string::npos) << error;
  EXPECT_NE(error.find("create the directory"), std::string::npos) << error;
}

void leave_hidden_file(const ScratchDirs& dirs) {
  for (const auto& copy : {dirs.primary(), dirs.secondary()}) {
    fs::create_directories(copy / ".hamirror-unlinked");
    write_file(copy / ".hamirror-unlinked" / "17", "left over");
  }
}

bool hidden_file_gone(const ScratchDirs& dirs) {
  return !fs::exists(dirs.primary() / ".hamirror-unlinked" / "17") &&
         !fs::exists(dirs.secondary() / ".hamirror-unlinked" / "17");
}

TEST(FuseMountStart, files_left_in_the_hidden_area_by_a_crash_are_removed_from_both_copies_at_mount_time) {
  SKIP_WITHOUT_FUSE();
  ScratchDirs dirs;
  leave_hidden_file(dirs);
  MirroredMount mount(dirs);
  ASSERT_EQ(mount.start(), "");
  EXPECT_TRUE(eventually([&] { return hidden_file_gone(dirs); }));
  EXPECT_EQ(snapshot(dirs.primary()), snapshot(dirs.secondary()));
}

TEST(FuseMountStart, a_node_that_mounts_before_it_is_primary_removes_the_leftovers_at_its_first_change) {
  SKIP_WITHOUT_FUSE();
  ScratchDirs dirs;
  leave_hidden_file(dirs);
  MirroredMount mount(dirs);
  mount.sink().writable_ = false;
  ASSERT_EQ(mount.start(), "");
  EXPECT_FALSE(eventually([&] { return hidden_file_gone(dirs); }, 100)) << "removed while read-only";
  mount.sink().writable_ = true;
  write_file(dirs.mnt() / "first.txt", "change");
  EXPECT_TRUE(hidden_file_gone(dirs));
  EXPECT_EQ(snapshot(dirs.primary()), snapshot(dirs.secondary()));
}

}  // namespace
}  // namespace hamirror::test
