#include "core/wire/framed_connection.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::core::wire {

FramedConnection::FramedConnection(std::unique_ptr<io::StreamConnection> stream, Handlers handlers)
    : stream_(std::move(stream)), handlers_(std::make_shared<const Handlers>(std::move(handlers))) {
  HM_ASSERT(stream_ != nullptr);
  HM_ASSERT(handlers_->on_frame && handlers_->on_error && handlers_->on_close);
  // The stream drops its callbacks when it is destroyed, which happens in our
  // destructor, so `this` outlives every call they make.
  auto on_close = [this](io::Error reason) { on_stream_closed(reason); };
  if (!stream_->set_shared_handlers([this](const io::SharedBytes& chunk) { on_data(chunk); }, on_close)) {
    stream_->set_handlers([this](io::ByteView chunk) { on_data(chunk); }, on_close);
  }
}

FramedConnection::~FramedConnection() { *alive_ = false; }

io::Error FramedConnection::send(MessageType type, io::ByteView body) {
  if (state_ != State::open) return io::Error::bad_handle;
  if (body.size() > kMaxFrameBytes) return io::Error::message_too_large;
  if (stream_->pending_write_bytes() >= io::kMaxPendingWriteBytes) {  // spare the copy
    blocked_ = true;
    return io::Error::would_block;
  }
  OutgoingFrame frame{.type = type};
  frame.head.reserve(kHeaderBytes + body.size());
  frame.head.resize(kHeaderBytes);
  frame.head.insert(frame.head.end(), body.begin(), body.end());
  return send_frame(frame);
}

io::Error FramedConnection::send_frame(OutgoingFrame& frame) {
  HM_ASSERT(frame.head.size() >= kHeaderBytes);
  HM_ASSERT((frame.flags & kFlagTail) != 0 || frame.tail.empty());
  if (state_ != State::open) return io::Error::bad_handle;
  const std::size_t head_payload_bytes = frame.head.size() - kHeaderBytes;
  if (head_payload_bytes > kMaxFrameBytes || frame.tail.size() > kMaxFrameBytes - head_payload_bytes) {
    return io::Error::message_too_large;
  }
  if (stream_->pending_write_bytes() >= io::kMaxPendingWriteBytes) {
    blocked_ = true;
    return io::Error::would_block;
  }
  FrameHeader header;
  header.type = frame.type;
  header.flags = frame.flags;
  header.sequence = next_send_sequence_;
  fill_header(header, frame.head, frame.tail.size());
  auto on_done = [this](io::Error done) { on_write_done(done); };
  const io::Error result = frame.tail.empty() ? stream_->write_owned(frame.head, on_done)
                                              : stream_->write_gather(frame.head, frame.tail, on_done);
  if (result == io::Error::ok) {
    ++next_send_sequence_;
  } else if (result == io::Error::would_block) {
    blocked_ = true;
  }
  return result;
}

void FramedConnection::on_write_done(io::Error result) {
  // A failed write ends the stream, which on_close reports.
  if (result != io::Error::ok || !blocked_ || state_ != State::open) return;
  blocked_ = false;
  const auto handlers = handlers_;
  if (handlers->on_writable) handlers->on_writable();
}

void FramedConnection::close() {
  if (state_ != State::open) return;
  state_ = State::closed;
  stream_->close();
}

void FramedConnection::fail(std::string reason) {
  if (state_ != State::open) return;
  HM_ASSERT(!reason.empty());
  state_ = State::failed;
  stream_->close();
  const auto handlers = handlers_;
  handlers->on_error(reason);  // may destroy this object: nothing follows
}

template <typename Chunk>
void FramedConnection::on_data(Chunk chunk) {
  const std::shared_ptr<bool> alive = alive_;
  const auto handlers = handlers_;
  Chunk rest = chunk;
  Frame frame;
  while (state_ == State::open) {
    switch (decoder_.decode(rest, frame)) {
      case FrameDecoder::Status::need_more:
        HM_ASSERT(rest.empty());
        return;
      case FrameDecoder::Status::failed:
        fail(decoder_.error());
        return;
      case FrameDecoder::Status::frame:
        break;
    }
    if (frame.header.sequence != next_receive_sequence_) {
      fail("frame " + std::to_string(next_receive_sequence_) + ": sequence number " +
           std::to_string(frame.header.sequence) + " out of order");
      return;
    }
    ++next_receive_sequence_;
    handlers->on_frame(frame);
    if (!*alive) return;
  }
}

void FramedConnection::on_stream_closed(io::Error reason) {
  if (state_ != State::open) return;
  if (decoder_.buffered_bytes() > 0) {  // the peer stopped in the middle of a frame
    fail("frame " + std::to_string(decoder_.frames_decoded()) + " truncated: the stream ended (" +
         std::string(io::error_name(reason)) + ") after " + std::to_string(decoder_.buffered_bytes()) +
         " of its bytes");
    return;
  }
  state_ = State::closed;
  const auto handlers = handlers_;
  handlers->on_close(reason);
}

}  // namespace hamirror::core::wire
