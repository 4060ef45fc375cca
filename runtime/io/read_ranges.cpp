// FileSystem::read_ranges() for a backend without a one-step version: open, fstat,
// every range's read side by side, close after the last (see filesystem.h).
#include <algorithm>
#include <memory>
#include <utility>

#include "io/assert.h"
#include "io/filesystem.h"

namespace hamirror::io {

void FileSystem::read_ranges(const std::string& path, std::vector<FileRange> ranges, ReadRangesFn done) {
  HM_ASSERT(!ranges.empty() && ranges.size() <= kMaxReadRanges);
  HM_ASSERT(done);
  // The FileSystem outlives its pending calls (the contract), so each step may call the
  // next on it; a simulated crash cancels every completion, and with them the chain.
  open(path, OpenFlags{.read = true}, [this, ranges = std::move(ranges), done = std::move(done)](Result<FileHandle> opened) mutable {
    if (!opened) return done(opened.error());
    const FileHandle file = *opened;
    fstat(file, [this, file, ranges = std::move(ranges), done = std::move(done)](Result<FileStat> stat) mutable {
      if (!stat || stat->kind != FileKind::regular) {
        close(file, [](Error) {});
        return done(stat ? Error::is_directory : stat.error());
      }
      auto result = std::make_shared<RangesRead>(RangesRead{.stat = *stat, .chunks = {}});
      result->chunks.resize(ranges.size());
      auto left = std::make_shared<std::size_t>(ranges.size());
      auto error = std::make_shared<Error>(Error::ok);
      auto shared_done = std::make_shared<ReadRangesFn>(std::move(done));
      for (std::size_t i = 0; i < ranges.size(); ++i) {
        const std::uint64_t offset = ranges[i].offset;
        const std::uint64_t size = result->stat.size_bytes;
        const std::uint64_t length = offset >= size ? 0 : std::min(ranges[i].length, size - offset);
        read(file, offset, length, [this, file, i, result, left, error, shared_done](Result<Bytes> bytes) {
          if (bytes) {
            result->chunks[i] = std::move(bytes).value();
          } else if (*error == Error::ok) {
            *error = bytes.error();
          }
          if (--*left > 0) return;
          close(file, [](Error) {});
          if (*error != Error::ok) return (*shared_done)(*error);
          (*shared_done)(std::move(*result));
        });
      }
    });
  });
}

}  // namespace hamirror::io
