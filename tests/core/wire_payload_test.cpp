// Write payloads on the wire without copies: the frame is encoded around the body in
// one buffer, and a received payload shares the buffer of the frame that carried it.
// The bytes on the wire are the same as before either way.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/replication/replication_messages.h"
#include "core/wire/frame.h"
#include "core/wire/frame_decoder.h"
#include "core/wire/message_codec.h"

namespace hamirror::core {
namespace {

ReplicateOp write_of(std::size_t size) {
  io::Bytes data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return ReplicateOp{.sequence = 5, .kind = OpKind::write, .path = "a/b", .offset = 70000, .data = std::move(data)};
}

// Feeds `encoded` in 64 KiB chunks (as netsim and the authenticated stream deliver
// large frames) and returns the one frame it holds.
wire::Frame assemble(wire::FrameDecoder& decoder, const io::Bytes& encoded) {
  wire::Frame out;
  int frames = 0;
  for (std::size_t pos = 0; pos < encoded.size(); pos += 64 * 1024) {
    io::ByteView chunk = io::ByteView(encoded).subspan(pos, std::min<std::size_t>(64 * 1024, encoded.size() - pos));
    while (!chunk.empty()) {
      wire::Frame frame;
      const auto status = decoder.decode(chunk, frame);
      EXPECT_NE(status, wire::FrameDecoder::Status::failed) << decoder.error();
      if (status != wire::FrameDecoder::Status::frame) break;
      out = frame;
      ++frames;
    }
  }
  EXPECT_EQ(frames, 1);
  return out;
}

TEST(WirePayload, a_write_op_body_has_the_same_bytes_as_the_hand_written_msgpack) {
  const ReplicateOp op = write_of(300);
  io::Bytes expected = {0x9b, 0x05, 0x01, 0x00, 0xa3, 'a', '/', 'b', 0xa0, 0xce, 0x00, 0x01, 0x11, 0x70,
                        0x00, 0x00, 0xc2, 0xc5, 0x01, 0x2c};
  expected.insert(expected.end(), op.data.begin(), op.data.end());
  expected.push_back(0x00);  // mode
  EXPECT_EQ(wire::encode_body(op), expected);
}

TEST(WirePayload, a_frame_encoded_around_its_body_is_byte_identical_to_the_body_then_the_frame) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{4096}, kMaxWriteOpBytes}) {
    const ReplicateOp op = write_of(size);
    const io::Bytes old_way = wire::encode_frame(ReplicateOp::kType, 42, wire::encode_body(op));
    io::Bytes new_way = wire::encode_framed_body(op);
    wire::fill_header(wire::FrameHeader{.type = ReplicateOp::kType, .sequence = 42}, new_way);
    EXPECT_EQ(new_way, old_way) << size << " bytes";
    EXPECT_EQ(new_way.capacity(), new_way.size()) << "allocated once, at its final size";
  }
}

TEST(WirePayload, an_op_made_from_a_file_op_shares_its_payload) {
  FileOp op{.kind = OpKind::write, .path = "f", .data = io::Bytes(4096, 1)};
  const ReplicateOp message = ReplicateOp::from(9, op);
  EXPECT_TRUE(message.data.shares_with(op.data));
  EXPECT_TRUE(ReplicateOp(message).to_op().data.shares_with(op.data));
}

TEST(WirePayload, a_large_frame_assembled_from_chunks_comes_with_its_buffer_and_the_op_shares_it) {
  const ReplicateOp sent = write_of(kMaxWriteOpBytes);
  wire::FrameDecoder decoder;
  const wire::Frame frame = assemble(decoder, wire::encode_frame(ReplicateOp::kType, 0, wire::encode_body(sent)));
  ASSERT_NE(frame.owner, nullptr);
  EXPECT_EQ(frame.payload.data(), frame.owner->data());
  EXPECT_EQ(decoder.buffer_capacity_bytes(), wire::kHeaderBytes) << "the decoder let go of the buffer";

  auto decoded = wire::decode_message<ReplicateOp>(frame);
  ASSERT_TRUE(decoded) << decoded.error();
  const io::SharedBytes& data = decoded.value().data;
  EXPECT_EQ(data, sent.data);
  EXPECT_GE(data.data(), frame.owner->data());
  EXPECT_LE(data.data() + data.size(), frame.owner->data() + frame.owner->size()) << "a view into the frame";

  const std::weak_ptr<const io::Bytes> watch = frame.owner;
  const FileOp op = std::move(decoded).value().to_op();
  EXPECT_FALSE(watch.expired()) << "the op keeps the frame's buffer";
  EXPECT_EQ(op.data, sent.data);
}

TEST(WirePayload, a_payload_without_an_owner_is_copied_out_of_the_borrowed_bytes) {
  const ReplicateOp sent = write_of(1000);
  io::Bytes encoded = wire::encode_frame(ReplicateOp::kType, 0, wire::encode_body(sent));
  wire::FrameDecoder decoder;
  io::ByteView input = encoded;
  wire::Frame frame;
  ASSERT_EQ(decoder.decode(input, frame), wire::FrameDecoder::Status::frame);
  EXPECT_EQ(frame.owner, nullptr) << "a frame that arrived whole is borrowed from the chunk";
  auto decoded = wire::decode_message<ReplicateOp>(frame);
  ASSERT_TRUE(decoded) << decoded.error();
  std::fill(encoded.begin(), encoded.end(), 0);  // the chunk is gone after the call
  EXPECT_EQ(decoded.value().data, sent.data);
}

TEST(WirePayload, small_assembled_frames_reuse_the_decoder_buffer_and_have_no_owner) {
  const ReplicateOp sent = write_of(100);
  const io::Bytes encoded = wire::encode_frame(ReplicateOp::kType, 0, wire::encode_body(sent));
  wire::FrameDecoder decoder;
  wire::Frame frame;
  io::ByteView first = io::ByteView(encoded).first(80);
  io::ByteView rest = io::ByteView(encoded).subspan(80);
  ASSERT_EQ(decoder.decode(first, frame), wire::FrameDecoder::Status::need_more);
  ASSERT_EQ(decoder.decode(rest, frame), wire::FrameDecoder::Status::frame);
  EXPECT_EQ(frame.owner, nullptr);
  auto decoded = wire::decode_message<ReplicateOp>(frame);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded.value().data, sent.data);
}

}  // namespace
}  // namespace hamirror::core
