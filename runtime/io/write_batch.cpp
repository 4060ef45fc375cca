// FileSystem::write_batch() for a backend without a one-step version: write_shared()
// per range, each once the one before completed, then fsync() if asked (see
// filesystem.h).
#include <memory>
#include <utility>

#include "io/assert.h"
#include "io/filesystem.h"

namespace hamirror::io {
namespace {

struct Batch {
  FileHandle file;
  std::vector<RangeWrite> writes;
  FileSystem::AfterBatch then;
  FileSystem::BatchFn done;
  std::size_t next = 0;
};

// As write_ranges(): the FileSystem outlives its pending calls, so each step may call
// the next on it.
void write_next(FileSystem& fs, std::shared_ptr<Batch> batch) {
  if (batch->next == batch->writes.size()) {
    if (batch->then == FileSystem::AfterBatch::nothing) return batch->done({batch->next, Error::ok});
    return fs.fsync(batch->file, [batch](Error synced) { batch->done({batch->next, synced}); });
  }
  RangeWrite& range = batch->writes[batch->next];
  const std::uint64_t size = range.bytes.size();
  fs.write_shared(batch->file, range.offset, std::move(range.bytes), [&fs, batch, size](Result<std::uint64_t> written) {
    if (!written) return batch->done({batch->next, written.error()});
    if (*written != size) return batch->done({batch->next, Error::io_error});  // a write moves all its bytes or fails
    ++batch->next;
    write_next(fs, batch);
  });
}

}  // namespace

void FileSystem::write_batch(FileHandle file, std::vector<RangeWrite> writes, AfterBatch then, BatchFn done) {
  HM_ASSERT(!writes.empty() && writes.size() <= kMaxWriteRanges);
  HM_ASSERT(done);
  write_next(*this, std::make_shared<Batch>(Batch{file, std::move(writes), then, std::move(done)}));
}

}  // namespace hamirror::io
