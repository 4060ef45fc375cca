// Frames over an io::StreamConnection: what the protocol uses to talk to its peer.
//
// Sending: send() frames a body with this connection's next sequence number (0, 1, 2,
// ... per direction) and writes it. It never queues on its own: when the stream says
// would_block, send() says so too, the frame is not sent and takes no sequence number;
// on_writable then runs after a write completes, and the caller sends again.
//
// Receiving: chunks go through a FrameDecoder; each whole frame goes to on_frame, in
// order. Where the stream offers its chunks by reference (set_shared_handlers), a
// frame's tail shares them instead of being copied out. A malformed stream (bad magic, unknown version, oversized or garbled header,
// a sequence number out of order, or a stream that ends inside a frame) closes the
// connection and reports the reason once through on_error; the caller logs it.
// Message bodies are the caller's to decode (decode_message<M>); when one is refused,
// or its type is unknown, the caller calls fail(reason), which closes and reports the
// same way.
//
// Callbacks: at most one of on_error and on_close runs, once; after it, or after a
// local close(), nothing else runs. A callback may call send, close or fail, and may
// destroy the FramedConnection. After on_error the owner should destroy it soon: a
// failed connection closes its stream in an orderly way, and destroying it is what
// drops the stream at once (a hostile peer cannot keep it half open).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/wire/frame.h"
#include "core/wire/frame_decoder.h"
#include "core/wire/message_codec.h"
#include "io/network.h"

namespace hamirror::core::wire {

class FramedConnection {
 public:
  struct Handlers {
    // A whole frame, in order; its payload is valid during the call only. Required.
    std::function<void(const Frame& frame)> on_frame;
    // The stream broke the protocol (or fail() was called) and has been closed; the
    // reason is for the log. Required.
    std::function<void(const std::string& reason)> on_error;
    // The stream ended on its own: end_of_stream, connection_reset, timed_out, ...
    // Required.
    std::function<void(io::Error reason)> on_close;
    // Optional: a write completed after send() returned would_block; send again.
    std::function<void()> on_writable;
  };

  // Takes the stream over (it must not have handlers yet) and starts reading.
  FramedConnection(std::unique_ptr<io::StreamConnection> stream, Handlers handlers);
  ~FramedConnection();
  FramedConnection(const FramedConnection&) = delete;
  FramedConnection& operator=(const FramedConnection&) = delete;

  // ok: the frame is queued. would_block: the stream's write queue is full; nothing was
  // sent (see on_writable). message_too_large: body over kMaxFrameBytes. bad_handle:
  // the connection is closed or failed.
  io::Error send(MessageType type, io::ByteView body);
  template <WireMessage M>
  io::Error send(const M& message) {
    OutgoingFrame frame = encode_outgoing(message);
    return send_frame(frame);
  }
  // Sends a frame built with its header's room blank (encode_outgoing): the header is
  // filled in place and the head handed to the stream with the tail shared
  // (write_gather), so neither is copied again. Results as send(); on ok frame.head was
  // taken, otherwise it is as it was (its header's room may have been written), to be
  // sent again later.
  io::Error send_frame(OutgoingFrame& frame);

  // Closes in an orderly way (queued frames still go out); no callback follows.
  void close();
  // Closes at once and reports `reason` through on_error, unless already closed.
  void fail(std::string reason);

  bool open() const { return state_ == State::open; }
  std::uint64_t frames_sent() const { return next_send_sequence_; }
  std::uint64_t frames_received() const { return next_receive_sequence_; }
  std::size_t pending_write_bytes() const { return stream_->pending_write_bytes(); }
  const FrameDecoder& decoder() const { return decoder_; }
  io::Address remote_address() const { return stream_->remote_address(); }
  // The reader's backpressure. Frames already received in the chunk being decoded are
  // still delivered; the pause holds back the chunks after it.
  void pause_reading() { stream_->pause_reading(); }
  void resume_reading() { stream_->resume_reading(); }

 private:
  enum class State : std::uint8_t { open, closed, failed };

  template <typename Chunk>  // io::ByteView, or io::SharedBytes
  void on_data(Chunk chunk);
  void on_stream_closed(io::Error reason);
  void on_write_done(io::Error result);

  std::unique_ptr<io::StreamConnection> stream_;
  // Shared so that a running handler survives its FramedConnection being destroyed
  // inside it: each call holds a reference.
  std::shared_ptr<const Handlers> handlers_;
  FrameDecoder decoder_;
  State state_ = State::open;
  std::uint64_t next_send_sequence_ = 0;
  std::uint64_t next_receive_sequence_ = 0;
  bool blocked_ = false;  // a send() met would_block; tell on_writable at the next completion
  // Cleared by the destructor: a callback that destroyed this object stops at once.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hamirror::core::wire
