// FileSystem::write_ranges() for a backend without a one-step version: open, every
// range's write side by side, close after the last (see filesystem.h).
#include <memory>
#include <utility>

#include "io/assert.h"
#include "io/filesystem.h"

namespace hamirror::io {

void FileSystem::write_ranges(const std::string& path, std::vector<RangeWrite> writes, DoneFn done) {
  HM_ASSERT(!writes.empty() && writes.size() <= kMaxWriteRanges);
  HM_ASSERT(done);
  // As read_ranges(): the FileSystem outlives its pending calls, so each step may call
  // the next on it, and a simulated crash cancels the chain with its completions.
  open(path, OpenFlags{.read = false, .write = true}, [this, writes = std::move(writes), done = std::move(done)](Result<FileHandle> opened) mutable {
    if (!opened) return done(opened.error());
    const FileHandle file = *opened;
    auto left = std::make_shared<std::size_t>(writes.size());
    auto error = std::make_shared<Error>(Error::ok);
    auto shared_done = std::make_shared<DoneFn>(std::move(done));
    for (RangeWrite& range : writes) {
      const std::uint64_t size = range.bytes.size();
      write_shared(file, range.offset, std::move(range.bytes), [this, file, size, left, error, shared_done](Result<std::uint64_t> written) {
        if (*error == Error::ok && !written) *error = written.error();
        if (*error == Error::ok && *written != size) *error = Error::io_error;  // a write moves all its bytes or fails
        if (--*left > 0) return;
        close(file, [](Error) {});
        (*shared_done)(*error);
      });
    }
  });
}

}  // namespace hamirror::io
