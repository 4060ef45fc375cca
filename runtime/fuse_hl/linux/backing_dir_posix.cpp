#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "fuse_hl/backing_dir.h"
#include "fuse_hl/path_names.h"

namespace hamirror::fuse_hl {

std::string BackingDir::full_path(const std::string& relative) const {
  return relative.empty() ? root_ : root_ + "/" + relative;
}

int BackingDir::stat(const std::string& relative, api::Stat& attributes) const {
  return ::lstat(full_path(relative).c_str(), &attributes) == 0 ? 0 : errno;
}

int BackingDir::open_read(const std::string& relative, std::uint64_t& handle) const {
  const int fd = ::open(full_path(relative).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno;
  handle = static_cast<std::uint64_t>(fd);
  return 0;
}

int BackingDir::stat_open(std::uint64_t handle, api::Stat& attributes) const {
  return ::fstat(static_cast<int>(handle), &attributes) == 0 ? 0 : errno;
}

int BackingDir::read(std::uint64_t handle, char* buffer, std::size_t size, std::uint64_t offset, std::size_t& got) const {
  const ssize_t result = ::pread(static_cast<int>(handle), buffer, size, static_cast<off_t>(offset));
  if (result < 0) return errno;
  got = static_cast<std::size_t>(result);
  return 0;
}

void BackingDir::close(std::uint64_t handle) const { ::close(static_cast<int>(handle)); }

int BackingDir::list(const std::string& relative, std::vector<std::string>& names) const {
  DIR* dir = ::opendir(full_path(relative).c_str());
  if (dir == nullptr) return errno;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  return 0;
}

std::string BackingDir::stored_name(const std::string& dir, const std::string& name) const {
  api::Stat ignored{};
  const std::string exact = dir.empty() ? name : dir + "/" + name;
  if (stat(exact, ignored) == 0) return name;  // the common case: one lstat
  std::vector<std::string> names;
  if (list(dir, names) != 0) return name;
  for (const auto& stored : names) {
    if (same_ignoring_case(stored, name)) return stored;
  }
  return name;
}

int BackingDir::statfs(api::StatVfs& stats) const { return ::statvfs(root_.c_str(), &stats) == 0 ? 0 : errno; }

}  // namespace hamirror::fuse_hl
