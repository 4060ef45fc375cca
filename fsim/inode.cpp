#include "fsim/inode.h"

#include "io/assert.h"

namespace hamirror::fsim {

void apply_change(FileData& data, const UnsyncedChange& change) {
  switch (change.kind) {
    case UnsyncedChange::Kind::write:
      data.write(change.bytes, change.bytes.size());
      return;
    case UnsyncedChange::Kind::truncate:
      data.resize(change.size_bytes);
      return;
  }
  HM_ASSERT(false);
}

}  // namespace hamirror::fsim
