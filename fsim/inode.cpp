#include "fsim/inode.h"

#include <algorithm>

#include "io/assert.h"

namespace hamirror::fsim {

void apply_write(io::Bytes& data, std::uint64_t offset, io::ByteView bytes) {
  HM_ASSERT(offset <= UINT64_MAX - bytes.size());
  const std::uint64_t end = offset + bytes.size();
  if (bytes.empty()) return;  // POSIX: a zero-length write does not extend the file
  if (data.size() < end) data.resize(end, 0);
  std::copy(bytes.begin(), bytes.end(), data.begin() + static_cast<std::ptrdiff_t>(offset));
}

void apply_change(io::Bytes& data, const UnsyncedChange& change) {
  switch (change.kind) {
    case UnsyncedChange::Kind::write:
      apply_write(data, change.offset, change.bytes);
      return;
    case UnsyncedChange::Kind::truncate:
      data.resize(change.size_bytes, 0);
      return;
  }
  HM_ASSERT(false);
}

}  // namespace hamirror::fsim
