#include "fsim/inode.h"

#include "io/assert.h"

namespace hamirror::fsim {

void apply_write(FileData& data, std::uint64_t offset, io::ByteView bytes) {
  data.write(offset, bytes);  // POSIX: a zero-length write does not extend the file
}

void apply_change(FileData& data, const UnsyncedChange& change) {
  switch (change.kind) {
    case UnsyncedChange::Kind::write:
      apply_write(data, change.offset, change.bytes);
      return;
    case UnsyncedChange::Kind::truncate:
      data.resize(change.size_bytes);
      return;
  }
  HM_ASSERT(false);
}

}  // namespace hamirror::fsim
