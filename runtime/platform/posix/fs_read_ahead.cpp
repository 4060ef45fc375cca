// Read-ahead hints (io::FileSystem::will_read on libuv): posix_fadvise WILLNEED queues
// the reads of a range and returns, so many cold files are read at the disk's own
// depth while the caller still reads them a few at a time.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>

#include "platform/platform.h"

namespace hamirror::platform {

void advise_will_read(const std::string& path, const std::vector<io::FileRange>& ranges) {
  const int file = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file < 0) return;  // a hint: the read itself will report what is wrong
  for (const io::FileRange& range : ranges) {
    if (range.length == 0 || range.offset > static_cast<std::uint64_t>(INT64_MAX) ||
        range.length > static_cast<std::uint64_t>(INT64_MAX) - range.offset) {
      continue;
    }
    (void)::posix_fadvise(file, static_cast<off_t>(range.offset), static_cast<off_t>(range.length), POSIX_FADV_WILLNEED);
  }
  ::close(file);
}

}  // namespace hamirror::platform
