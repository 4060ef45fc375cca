#include "fuse/stale_mount.h"

#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace hamirror::fuse {
namespace {

constexpr const char* kFuseDevice = "/dev/fuse";
constexpr decltype(statfs::f_type) kFuseSuperMagic = 0x65735546;  // FUSE_SUPER_MAGIC, linux/magic.h

// umount2(MNT_DETACH) as root; fusermount3 -uz (setuid) otherwise. Lazy: a process
// that still has a file open there must not keep the mount point unusable.
std::string lazy_unmount(const std::string& mount_point) {
  if (::umount2(mount_point.c_str(), MNT_DETACH) == 0) return "";
  const int umount_errno = errno;
  const char* argv[] = {"fusermount3", "-u", "-z", "--", mount_point.c_str(), nullptr};
  pid_t child = 0;
  if (::posix_spawnp(&child, "fusermount3", nullptr, nullptr, const_cast<char* const*>(argv), environ) != 0) {
    return std::string("umount2 failed (") + std::strerror(umount_errno) + ") and fusermount3 could not be started";
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  return std::string("umount2 failed (") + std::strerror(umount_errno) + ") and fusermount3 -uz failed";
}

}  // namespace

std::string prepare_mount_point(const std::string& mount_point, const std::function<void(const std::string&)>& log) {
  if (::access(kFuseDevice, R_OK | W_OK) != 0) {
    return std::string("cannot use ") + kFuseDevice + " (" + std::strerror(errno) +
           "): load the fuse kernel module (modprobe fuse) and run the daemon as root";
  }
  // statfs, not stat: the kernel answers stat from attributes it cached before the
  // daemon died, but always asks the daemon for statfs.
  struct statfs mounted {};
  if (::statfs(mount_point.c_str(), &mounted) != 0) {
    if (errno != ENOTCONN) {
      return "mount point " + mount_point + ": " + std::strerror(errno) +
             (errno == ENOENT ? " (create the directory first)" : "");
    }
    if (log) log("fuse: " + mount_point + " is a stale mount left by a crash; unmounting it (lazy)");
    if (const std::string failed = lazy_unmount(mount_point); !failed.empty()) {
      return "mount point " + mount_point + " is a stale mount that could not be unmounted: " + failed +
             "; run fusermount3 -uz " + mount_point;
    }
  }
  struct stat info {};
  if (::stat(mount_point.c_str(), &info) != 0) return "mount point " + mount_point + ": " + std::strerror(errno);
  if (!S_ISDIR(info.st_mode)) return "mount point " + mount_point + " is not a directory";
  struct stat parent {};
  const bool is_a_mount = ::stat((mount_point + "/..").c_str(), &parent) == 0 && parent.st_dev != info.st_dev;
  if (is_a_mount && mounted.f_type == kFuseSuperMagic) {
    return "mount point " + mount_point + " is already a FUSE mount (is another hamirrord running?)";
  }
  return "";
}

}  // namespace hamirror::fuse
