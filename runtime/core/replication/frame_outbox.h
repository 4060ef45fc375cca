// Frames waiting for room on a FramedConnection. The replication protocol bounds how
// many ops are in flight, so this queue is bounded by the same numbers; it exists so
// that a full socket buffer (would_block) delays frames instead of losing them.
#pragma once

#include <cstddef>
#include <deque>

#include "core/wire/framed_connection.h"
#include "io/assert.h"

namespace hamirror::core {

constexpr std::size_t kMaxOutboxFrames = 8192;

class FrameOutbox {
 public:
  void attach(wire::FramedConnection* link) {
    link_ = link;
    waiting_.clear();
  }
  void detach() {
    link_ = nullptr;
    waiting_.clear();
  }
  bool attached() const { return link_ != nullptr; }

  // Sends now, or as soon as the connection has room, in order.
  template <wire::WireMessage M>
  void send(const M& message) {
    if (link_ == nullptr) return;
    HM_ASSERT(waiting_.size() < kMaxOutboxFrames);
    // Encoded straight into its frame: sending hands this buffer to the stream.
    waiting_.push_back(wire::encode_outgoing(message));
    flush();
  }

  // Call from the connection's on_writable.
  void flush() {
    while (link_ != nullptr && !waiting_.empty()) {
      const io::Error sent = link_->send_frame(waiting_.front());
      if (sent == io::Error::would_block) return;
      waiting_.pop_front();  // sent, or the link is failing and will report why
    }
  }

 private:
  wire::FramedConnection* link_ = nullptr;
  std::deque<wire::OutgoingFrame> waiting_;  // header's room blank until sent
};

}  // namespace hamirror::core
