// The callbacks answered from this node's copy, on the FUSE thread.
#include <fcntl.h>

#include <cerrno>

#include "fuse_hl/path_frontend.h"

namespace hamirror::fuse_hl {

int PathFrontend::getattr(const char* path, api::Stat* attributes, api::FileInfo* fi) {
  // Through the open file when there is one: it is the same file after a rename.
  const int error = fi != nullptr ? backing_.stat_open(fi->fh, *attributes) : backing_.stat(relative(path), *attributes);
  return -error;
}

int PathFrontend::open(const char* path, api::FileInfo* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY && !writable()) return -EROFS;
  std::uint64_t handle = 0;
  if (const int error = backing_.open_read(relative(path), handle); error != 0) return -error;
  fi->fh = handle;
  fi->keep_cache = 0;
  return 0;
}

int PathFrontend::read(char* buffer, std::size_t size, api::Offset offset, api::FileInfo* fi) {
  std::size_t got = 0;
  if (const int error = backing_.read(fi->fh, buffer, size, static_cast<std::uint64_t>(offset), got); error != 0) {
    return -error;
  }
  return static_cast<int>(got);
}

int PathFrontend::release(api::FileInfo* fi) {
  backing_.close(fi->fh);
  return 0;
}

int PathFrontend::readdir(const char* path, void* buffer, api::FillDir fill) {
  std::vector<std::string> names;
  if (const int error = backing_.list(relative(path), names); error != 0) return -error;
  for (const char* special : {".", ".."}) fill(buffer, special, nullptr, 0, {});
  for (const auto& name : names) {
    if (fill(buffer, name.c_str(), nullptr, 0, {}) != 0) break;  // offset 0: all in one call
  }
  return 0;
}

int PathFrontend::statfs(api::StatVfs* stats) { return -backing_.statfs(*stats); }

}  // namespace hamirror::fuse_hl
