// Durable renames on Linux: rename(2) is atomic, and the new directory entry is
// durable once the parent directory has been fsync'ed (fsync_directory below). That
// is the contract of io/filesystem.h; callers do both.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "io/assert.h"
#include "platform/platform.h"

namespace hamirror::platform {

io::Error durable_rename(const std::string& from, const std::string& to) {
  HM_ASSERT(!from.empty() && !to.empty());
  if (std::rename(from.c_str(), to.c_str()) != 0) return io::error_from_errno(errno);
  return io::Error::ok;
}

io::Error fsync_directory(const std::string& path) {
  HM_ASSERT(!path.empty());
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io::error_from_errno(errno);
  // Every local Linux file system accepts fsync on a directory. An error is reported
  // as is: after a failed fsync the entries' durability is unknown, and pretending
  // otherwise is how data gets lost ("fsyncgate").
  io::Error result = io::Error::ok;
  if (::fsync(fd) != 0) result = io::error_from_errno(errno);
  ::close(fd);
  return result;
}

io::Error sync_file_system(const std::string& path) {
  HM_ASSERT(!path.empty());
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io::error_from_errno(errno);
  io::Error result = io::Error::ok;
  if (::syncfs(fd) != 0) result = io::error_from_errno(errno);
  ::close(fd);
  return result;
}

}  // namespace hamirror::platform
