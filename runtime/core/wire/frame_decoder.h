// Turns a byte stream, in whatever chunks it arrives, back into frames.
//
// The decoder checks each header field as soon as its bytes are in: a wrong magic, an
// unknown version, type 0, an unknown flag or a payload length over kMaxFrameBytes
// stops it for good with a reason, before any payload byte is buffered. A stream that
// simply stops mid-frame is not an error: the decoder waits for more.
//
// Memory: the header lives in a fixed array; the payload buffer grows only as payload
// bytes actually arrive (at most doubling) and never beyond the frame's checked length,
// so the decoder never holds more than kHeaderBytes + kRetainedBufferBytes +
// kMaxFrameBytes, whatever the peer claims. A frame that arrives whole in one chunk is
// not copied at all. A frame assembled in a buffer larger than kRetainedBufferBytes is
// delivered with that buffer as its owner (Frame::owner): the decoder lets go of it,
// and a decoded payload may keep it alive without copying it (the memory is then the
// receiver's to bound, as it bounds the ops it holds).
//
// A frame with a tail (kFlagTail): its tail length is checked as soon as its bytes
// are in (a known encoding, and a body of at least one byte left before the tail).
// The tail is not buffered with the body. Given chunks by reference (io::SharedBytes),
// the decoder makes the tail a slice of the chunk it came in, or of consecutive chunks
// of one buffer joined (io::SharedBytes::join), without copying; only a tail split
// across different buffers, or given as views, is assembled by copying, in a buffer
// that grows as its bytes arrive, as the payload's does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/wire/frame.h"
#include "io/bytes.h"

namespace hamirror::core::wire {

// A buffer this large or smaller is kept for the next frame; a larger one (left by a
// big frame) is released once its frame has been delivered.
constexpr std::size_t kRetainedBufferBytes = 64 * 1024;

class FrameDecoder {
 public:
  enum class Status : std::uint8_t {
    need_more,  // `input` is used up and no whole frame is pending
    frame,      // `out` holds the next frame; `input` may still hold bytes
    failed,     // the stream is malformed; error() says why; final
  };

  FrameDecoder() = default;
  FrameDecoder(const FrameDecoder&) = delete;
  FrameDecoder& operator=(const FrameDecoder&) = delete;

  // Consumes bytes from the front of `input` (advancing it) until a frame is complete,
  // the input is used up or the stream proves malformed. On `frame`, out.payload is
  // valid until the next call; call again with the rest of `input`.
  Status decode(io::ByteView& input, Frame& out);
  // The same for a chunk held by reference: `input` is advanced the same way, and a
  // frame's tail shares the chunk's buffer instead of being copied.
  Status decode(io::SharedBytes& input, Frame& out);

  bool failed() const { return !error_.empty(); }
  // Why the stream was refused ("frame 3: unknown protocol version 9 ..."); empty
  // while it has not been.
  const std::string& error() const { return error_; }
  std::uint64_t frames_decoded() const { return frames_decoded_; }
  // Bytes of the unfinished frame received so far (header, tail length, body, tail).
  std::size_t buffered_bytes() const { return header_have_ + tail_length_have_ + payload_.size() + tail_have_; }
  // Memory the decoder holds for frame data: never above kHeaderBytes +
  // kRetainedBufferBytes + kMaxFrameBytes (a kept body buffer, and a tail assembled).
  std::size_t buffer_capacity_bytes() const { return kHeaderBytes + payload_.capacity() + tail_buffer_.capacity(); }

 private:
  Status fail(std::string reason);
  // Both decode()s; `shared`, when not null, holds every byte `input` views.
  Status decode_from(io::ByteView& input, const io::SharedBytes* shared, Frame& out);
  // Checks the header fields whose bytes are complete; false once one is refused.
  bool check_header_prefix();
  // Reads the tail length (kFlagTail); false when it is refused.
  bool read_tail_length(io::ByteView& input);
  void append_payload(io::ByteView bytes);
  // Takes the tail's next bytes, `bytes` (inside *shared when not null).
  void add_to_tail(io::ByteView bytes, const io::SharedBytes* shared);
  Status deliver(io::ByteView payload, std::shared_ptr<const io::Bytes> owner, Frame& out);

  std::array<std::uint8_t, kHeaderBytes> header_bytes_{};
  std::size_t header_have_ = 0;
  FrameHeader header_;  // parsed once header_have_ == kHeaderBytes
  // kFlagTail: the tail length's bytes so far, then the sizes it gives.
  std::array<std::uint8_t, kMaxTailLengthBytes> tail_length_bytes_{};
  std::size_t tail_length_have_ = 0;
  std::size_t tail_length_size_ = 0;  // 0 until its lead byte is in; 0 too without a tail
  bool sizes_known_ = false;          // body_bytes_ and tail_bytes_ are set
  std::size_t body_bytes_ = 0;        // the frame's body (the whole payload without a tail)
  std::size_t tail_bytes_ = 0;
  io::Bytes payload_;  // the body, when it did not come whole in one chunk
  // The tail so far: slices of one buffer joined in tail_, or, once that cannot be,
  // copied into tail_buffer_ (tail_ is then empty).
  io::SharedBytes tail_;
  io::Bytes tail_buffer_;
  std::size_t tail_have_ = 0;
  bool release_payload_ = false;  // the last frame was handed out from payload_
  std::uint64_t frames_decoded_ = 0;
  std::string error_;
};

}  // namespace hamirror::core::wire
