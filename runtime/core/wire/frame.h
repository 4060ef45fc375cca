// The frame: how every message travels on a replication stream.
//
// A frame is a fixed 56-byte header followed by the payload (a msgpack body, see
// message_codec.h). All integers are big-endian.
//
//   offset size field
//        0    4 magic           "HMIR" (0x484D4952): not our protocol otherwise
//        4    2 version         kProtocolVersion; any other value closes the stream
//        6    2 type            MessageType (0 is never valid)
//        8    4 flags           kFlagTail, or 0; any other set bit is refused
//       12    4 payload_bytes   at most kMaxFrameBytes
//       16    8 sequence        per connection and direction: 0, 1, 2, ... (the
//                               later anti-replay check: a frame authenticated for
//                               one position cannot be replayed at another)
//       24   32 tag             authentication tag; all zero until the daemon issue
//                               fills it in. It covers the header bytes before it
//                               (offsets 0..23, so magic, version, type, flags,
//                               length and sequence) followed by the whole payload.
//       56    n payload
//
// Bounds: a payload is at most kMaxFrameBytes (8 MiB), so a whole frame at most
// kHeaderBytes + kMaxFrameBytes. A sender with more to say splits it into messages.
//
// A frame with kFlagTail (version 3) carries a message's bulk bytes (a write's data)
// after its body, raw, so that they travel from the sender's buffer to the
// receiver's by reference instead of being copied into and out of the body:
//
//   payload = [tail length][body][tail]
//
// The tail length is written as a msgpack bin header would be (0xc4 + 1 byte, 0xc5 +
// 2 bytes or 0xc6 + 4 bytes, big-endian, the shortest that fits), so the frame is
// exactly as long as version 2's, whose body held the same bytes as its last bin. The
// body is the msgpack message without its tail field and is at least one byte; the
// tail is the rest of the payload. message_codec.h says which field is the tail.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "io/bytes.h"
#include "io/shared_bytes.h"

namespace hamirror::core::wire {

constexpr std::uint32_t kFrameMagic = 0x484D4952;  // "HMIR"
// 2: replicate_op carries a mode (set_mode, and create and mkdir); the reintegration
// carries modes (files' with their data, directories' in listings).
// 3: a write's data travels as the frame's tail (kFlagTail).
// 4: a reintegration's block data carries several extents of one file.
constexpr std::uint16_t kProtocolVersion = 4;
constexpr std::size_t kMaxFrameBytes = 8 * 1024 * 1024;  // payload bytes, header excluded
constexpr std::size_t kTagBytes = 32;
constexpr std::size_t kTagOffset = 24;  // the authenticated header prefix ends here
constexpr std::size_t kHeaderBytes = kTagOffset + kTagBytes;
constexpr std::uint32_t kFlagTail = 1;  // the payload is [tail length][body][tail]
constexpr std::uint32_t kKnownFlags = kFlagTail;
// The tail length's encodings: lead byte, then 1, 2 or 4 length bytes.
constexpr std::uint8_t kTail8 = 0xc4;
constexpr std::uint8_t kTail16 = 0xc5;
constexpr std::uint8_t kTail32 = 0xc6;
constexpr std::size_t kMaxTailLengthBytes = 5;

// The registry of message types. A number, once used, is never reused for something
// else; each message's body is declared in messages.h.
enum class MessageType : std::uint16_t {
  invalid = 0,  // never sent; refused by the decoder
  hello = 1,
  ping = 2,
  pong = 3,
  // Replication (runtime/core/replication/replication_messages.h).
  replication_start = 16,
  replicate_op = 17,
  op_ack = 18,
  generation_info = 19,
  checkpoint = 21,
  checkpoint_ack = 22,
  role_handover = 23,
  role_handover_ack = 24,
  // Reintegration (runtime/core/reintegration/reintegration_messages.h): bringing a
  // returning secondary back in sync, with live writes carried in the same stream.
  resync_begin = 48,
  resync_dir_listing = 49,
  resync_block_checksums = 50,
  resync_block_needs = 51,
  resync_block_data = 52,
  resync_ack = 53,
  resync_live_op = 54,
  resync_live_ack = 55,
  resync_done = 56,
  resync_done_ack = 57,
  node_hello = 20,
  // The witness lease, one frame per datagram (runtime/core/witness/): 32..47.
  lease_request = 32,
  lease_reply = 33,
};

using AuthTag = std::array<std::uint8_t, kTagBytes>;

struct FrameHeader {
  std::uint16_t version = kProtocolVersion;
  MessageType type = MessageType::invalid;
  std::uint32_t flags = 0;
  std::uint32_t payload_bytes = 0;
  std::uint64_t sequence = 0;
  AuthTag tag{};

  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

// A decoded frame. The payload view is valid only until the decoder is used again,
// unless `owner` holds it: then whoever keeps a reference to `owner` keeps the bytes.
// With kFlagTail, `payload` is the body alone and `tail` the raw bytes after it (a
// decoded write op's data is the tail itself, shared, never copied out).
struct Frame {
  FrameHeader header;
  io::ByteView payload;
  std::shared_ptr<const io::Bytes> owner;  // null: the payload is borrowed
  io::SharedBytes tail;                    // empty without kFlagTail
};

// Writes the header's 56 bytes. header.payload_bytes must be <= kMaxFrameBytes.
void write_header(const FrameHeader& header, std::span<std::uint8_t, kHeaderBytes> out);
// Reads the fields back as they are; checking them is the decoder's job.
FrameHeader read_header(std::span<const std::uint8_t, kHeaderBytes> in);

// A whole frame: header (payload_bytes set from the payload) and payload.
// payload.size() <= kMaxFrameBytes (asserted: a caller splits larger data first).
io::Bytes encode_frame(FrameHeader header, io::ByteView payload);
io::Bytes encode_frame(MessageType type, std::uint64_t sequence, io::ByteView payload);
// Fills in the header of a frame built with its payload already in place
// (frame.size() >= kHeaderBytes; its first kHeaderBytes are the header's room):
// payload_bytes is set from the size. The same bytes as encode_frame, without copying
// the payload.
void fill_header(FrameHeader header, io::Bytes& frame);
// As fill_header, for a frame whose last `tail_bytes` travel apart from `frame`
// (kFlagTail): they count in payload_bytes.
void fill_header(FrameHeader header, io::Bytes& frame, std::size_t tail_bytes);

// The size of the tail length that announces `tail_bytes` (<= kMaxFrameBytes).
std::size_t tail_length_bytes(std::size_t tail_bytes);
// Writes it: out.size() == tail_length_bytes(tail_bytes).
void write_tail_length(std::size_t tail_bytes, std::span<std::uint8_t> out);

}  // namespace hamirror::core::wire
