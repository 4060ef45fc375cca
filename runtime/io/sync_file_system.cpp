// FileSystem::sync_file_system() for a backend without a one-flush version: not
// supported, answered after a stat of the path so that done never runs inside the
// call (see filesystem.h). The caller then syncs name by name.
#include <utility>

#include "io/assert.h"
#include "io/filesystem.h"

namespace hamirror::io {

void FileSystem::sync_file_system(const std::string& path, DoneFn done) {
  HM_ASSERT(done);
  stat(path, [done = std::move(done)](const Result<FileStat>&) { done(Error::not_supported); });
}

}  // namespace hamirror::io
