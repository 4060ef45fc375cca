#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "auth/key_file.h"

namespace hamirror::auth {
namespace {

constexpr mode_t kPrivateMode = 0600;
constexpr mode_t kOthersMask = 0077;

std::string failure(const std::string& what, const std::string& path, int error) {
  return "cannot " + what + " key file '" + path + "': " + std::strerror(error);
}

}  // namespace

std::string write_private_file(const std::string& path, std::string_view content, bool overwrite) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (overwrite ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, kPrivateMode);
  if (fd < 0) {
    if (errno == EEXIST) return "key file '" + path + "' already exists; keep it, or pass --force to replace it (both nodes then need the new key)";
    return failure("create", path, errno);
  }
  // An overwritten file keeps its old mode, which open() does not change.
  if (overwrite && ::fchmod(fd, kPrivateMode) != 0) {
    const int error = errno;
    ::close(fd);
    return failure("restrict the permissions of", path, error);
  }
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t result = ::write(fd, content.data() + written, content.size() - written);
    if (result < 0 && errno == EINTR) continue;
    if (result < 0) {
      const int error = errno;
      ::close(fd);
      return failure("write", path, error);
    }
    written += static_cast<std::size_t>(result);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    return failure("sync", path, error);
  }
  if (::close(fd) != 0) return failure("close", path, errno);
  return "";
}

std::string permission_warning(const std::string& path) {
  struct stat status{};
  if (::stat(path.c_str(), &status) != 0 || (status.st_mode & kOthersMask) == 0) return "";
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
  return "warning: cluster key file '" + path + "' can be read by other users (mode " + mode + "); run: chmod 600 '" +
         path + "'";
}

}  // namespace hamirror::auth
