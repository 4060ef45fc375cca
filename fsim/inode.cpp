#include "fsim/inode.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::fsim {

void UnsyncedChanges::push_back(UnsyncedChange change) {
  if (head_ > 0 && head_ * 2 >= changes_.size()) {
    changes_.erase(changes_.begin(), changes_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  changes_.push_back(std::move(change));
}

void UnsyncedChanges::pop_front() {
  HM_ASSERT(!empty());
  changes_[head_] = UnsyncedChange{};  // its bytes are released now, as the deque did
  ++head_;
  if (head_ == changes_.size()) clear();
}

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
