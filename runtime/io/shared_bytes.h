// An immutable byte buffer with shared ownership: what a write op carries.
//
// A write's payload is made once (by the frontend, or by the frame decoder on a
// secondary) and then only read: it is sent, applied to the local copy and perhaps
// kept for a retry. Copying a SharedBytes shares the bytes instead of duplicating
// them, and a slice shares them too (a payload can be a view into the received frame
// that carried it), so none of those steps copies a megabyte. The bytes never change
// after construction, which is what makes the sharing safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "io/assert.h"
#include "io/bytes.h"

namespace hamirror::io {

class SharedBytes {
 public:
  SharedBytes() = default;
  // Takes the bytes over (no copy). Implicit: a freshly built io::Bytes is a payload.
  SharedBytes(Bytes bytes)  // NOLINT(google-explicit-constructor)
      : owner_(bytes.empty() ? nullptr : std::make_shared<const Bytes>(std::move(bytes))),
        view_(owner_ ? ByteView(*owner_) : ByteView()) {}
  // A view into bytes someone else owns, kept alive by `owner`; `view` lies inside it.
  SharedBytes(std::shared_ptr<const Bytes> owner, ByteView view) : owner_(std::move(owner)), view_(view) {
    HM_ASSERT(view_.empty() || (owner_ != nullptr && view_.data() >= owner_->data() &&
                                view_.data() + view_.size() <= owner_->data() + owner_->size()));
    if (view_.empty()) owner_.reset();  // an empty payload keeps nothing alive
  }
  static SharedBytes copy_of(ByteView bytes) {
    if (bytes.empty()) return {};
    auto owner = std::make_shared<const Bytes>(bytes.begin(), bytes.end());
    const ByteView view(*owner);
    return SharedBytes(std::move(owner), view);
  }

  const std::uint8_t* data() const { return view_.data(); }
  std::size_t size() const { return view_.size(); }
  bool empty() const { return view_.empty(); }
  ByteView::iterator begin() const { return view_.begin(); }
  ByteView::iterator end() const { return view_.end(); }
  ByteView view() const { return view_; }
  operator ByteView() const { return view_; }  // NOLINT(google-explicit-constructor)

  // Bytes [offset, offset + size) of this one, sharing them.
  SharedBytes slice(std::size_t offset, std::size_t size) const {
    HM_ASSERT(offset <= view_.size() && size <= view_.size() - offset);
    return SharedBytes(owner_, view_.subspan(offset, size));
  }
  // Grows this one over `next` when `next` continues it in the same buffer (what a
  // stream's consecutive chunks of one written buffer are): true then, and nothing is
  // copied. False, and nothing changes, otherwise.
  bool join(const SharedBytes& next) {
    if (next.empty()) return true;
    if (empty() || owner_ != next.owner_ || view_.data() + view_.size() != next.data()) return false;
    view_ = ByteView(view_.data(), view_.size() + next.size());
    return true;
  }
  // Whether the two share one buffer (for tests and assertions; equality is by content).
  bool shares_with(const SharedBytes& other) const { return owner_ != nullptr && owner_ == other.owner_; }

  friend bool operator==(const SharedBytes& a, const SharedBytes& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  std::shared_ptr<const Bytes> owner_;  // null when empty
  ByteView view_;
};

}  // namespace hamirror::io
