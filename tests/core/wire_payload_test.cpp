// Write payloads on the wire without copies: a write's data travels as the frame's
// tail, handed to the stream shared with the op, and a received tail is a slice of the
// buffers it arrived in (joined when they are consecutive pieces of one buffer).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/reintegration/reintegration_messages.h"
#include "core/replication/replication_messages.h"
#include "core/wire/frame.h"
#include "core/wire/frame_decoder.h"
#include "core/wire/message_codec.h"

namespace hamirror::core {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;  // what netsim's chunks are at most

ReplicateOp write_of(std::size_t size) {
  io::Bytes data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return ReplicateOp{.sequence = 5, .kind = OpKind::write, .path = "a/b", .offset = 70000, .data = std::move(data)};
}

// Version 2's replicate_op: the same fields, the data a bin inside the body.
struct ReplicateOpV2 {
  std::uint64_t sequence = 0;
  OpKind kind = OpKind::write;
  std::uint32_t directory = 0;
  std::string path;
  std::string target;
  std::uint64_t offset = 0;
  std::uint64_t size_bytes = 0;
  std::int64_t mtime_ns = 0;
  bool exclusive = false;
  io::SharedBytes data;
  std::uint32_t mode = 0;
  HM_WIRE_MESSAGE(wire::MessageType::replicate_op, "replicate_op")
  HM_WIRE_FIELDS(sequence, kind, directory, path, target, offset, size_bytes, mtime_ns, exclusive, data, mode)
};

// Decodes the one frame that `chunks` (consecutive pieces of a stream) hold.
template <typename Chunk>
wire::Frame assemble(wire::FrameDecoder& decoder, std::vector<Chunk> chunks) {
  wire::Frame out;
  int frames = 0;
  for (Chunk& chunk : chunks) {
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

// `parts` (buffers written one after the other) cut into chunks of at most
// kChunkBytes of the stream, a chunk spanning two parts being two slices: what
// netsim delivers for a write_gather.
std::vector<io::SharedBytes> chunks_of(const std::vector<io::SharedBytes>& parts) {
  std::vector<io::SharedBytes> out;
  std::size_t room = kChunkBytes;
  for (const io::SharedBytes& part : parts) {
    for (std::size_t pos = 0; pos < part.size();) {
      const std::size_t size = std::min(room, part.size() - pos);
      out.push_back(part.slice(pos, size));
      pos += size;
      room -= size;
      if (room == 0) room = kChunkBytes;
    }
  }
  return out;
}

TEST(WirePayload, a_write_op_frame_has_the_hand_written_layout) {
  const ReplicateOp op = write_of(300);
  io::Bytes expected = {0xc5, 0x01, 0x2c,  // tail length 300, as a bin16 header
                        0x9a, 0x05, 0x01, 0x00, 0xa3, 'a', '/', 'b', 0xa0, 0xce, 0x00, 0x01, 0x11, 0x70,
                        0x00, 0x00, 0xc2, 0x00};  // the body: ten fields, mode last
  expected.insert(expected.end(), op.data.begin(), op.data.end());
  const io::Bytes frame = wire::encode_whole_frame(op, 42);
  const wire::FrameHeader header = wire::read_header(std::span<const std::uint8_t, wire::kHeaderBytes>(frame.data(), wire::kHeaderBytes));
  EXPECT_EQ(header.flags, wire::kFlagTail);
  EXPECT_EQ(header.payload_bytes, expected.size());
  EXPECT_EQ(io::Bytes(frame.begin() + wire::kHeaderBytes, frame.end()), expected);
}

TEST(WirePayload, a_write_op_frame_is_exactly_as_long_as_version_2s) {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{255}, std::size_t{256}, std::size_t{65535},
                           std::size_t{65536}, kMaxWriteOpBytes}) {
    const ReplicateOp op = write_of(size);
    const ReplicateOpV2 old{op.sequence, op.kind, op.directory, op.path, op.target, op.offset,
                            op.size_bytes, op.mtime_ns, op.exclusive, op.data, op.mode};
    EXPECT_EQ(wire::encode_whole_frame(op, 1).size(), wire::kHeaderBytes + wire::encode_body(old).size()) << size;
  }
}

TEST(WirePayload, an_outgoing_frame_shares_the_op_data_and_its_head_is_allocated_once) {
  const ReplicateOp op = write_of(4096);
  const wire::OutgoingFrame frame = wire::encode_outgoing(op);
  EXPECT_TRUE(frame.tail.shares_with(op.data)) << "the data is not copied into the frame";
  EXPECT_EQ(frame.head.capacity(), frame.head.size());
  const wire::OutgoingFrame live = wire::encode_outgoing(ResyncLiveOp{op});
  EXPECT_TRUE(live.tail.shares_with(op.data)) << "a tail in a nested struct";
}

TEST(WirePayload, an_op_made_from_a_file_op_shares_its_payload) {
  FileOp op{.kind = OpKind::write, .path = "f", .data = io::Bytes(4096, 1)};
  const ReplicateOp message = ReplicateOp::from(9, op);
  EXPECT_TRUE(message.data.shares_with(op.data));
  EXPECT_TRUE(ReplicateOp(message).to_op().data.shares_with(op.data));
}

TEST(WirePayload, a_tail_written_apart_arrives_as_a_slice_of_the_sender_buffer) {
  for (std::size_t size : {std::size_t{1}, std::size_t{4096}, std::size_t{100'000}, kMaxWriteOpBytes}) {
    const ReplicateOp sent = write_of(size);
    wire::OutgoingFrame out = wire::encode_outgoing(sent);
    wire::fill_header(wire::FrameHeader{.type = out.type, .flags = out.flags}, out.head, out.tail.size());
    wire::FrameDecoder decoder;
    const wire::Frame frame = assemble(decoder, chunks_of({io::SharedBytes(std::move(out.head)), out.tail}));
    auto decoded = wire::decode_message<ReplicateOp>(frame);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_TRUE(decoded.value().data.shares_with(sent.data)) << size << " bytes: not one copy";
    EXPECT_EQ(decoded.value().data.data(), sent.data.data());
    EXPECT_EQ(decoded.value().data.size(), size);
  }
}

TEST(WirePayload, a_frame_in_one_buffer_cut_into_chunks_has_a_tail_that_shares_that_buffer) {
  const ReplicateOp sent = write_of(kMaxWriteOpBytes);
  const io::SharedBytes whole(wire::encode_whole_frame(sent, 0));
  wire::FrameDecoder decoder;
  const wire::Frame frame = assemble(decoder, chunks_of({whole}));
  auto decoded = wire::decode_message<ReplicateOp>(frame);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_TRUE(decoded.value().data.shares_with(whole)) << "the chunks' slices joined, not copied";
  EXPECT_EQ(decoded.value().data, sent.data);
}

TEST(WirePayload, a_tail_split_across_two_buffers_is_assembled_by_copying) {
  const ReplicateOp sent = write_of(200'000);
  const io::Bytes encoded = wire::encode_whole_frame(sent, 0);
  const std::size_t cut = encoded.size() / 2;  // inside the tail
  const io::SharedBytes first(io::Bytes(encoded.begin(), encoded.begin() + static_cast<std::ptrdiff_t>(cut)));
  const io::SharedBytes second(io::Bytes(encoded.begin() + static_cast<std::ptrdiff_t>(cut), encoded.end()));
  wire::FrameDecoder decoder;
  const wire::Frame frame = assemble(decoder, chunks_of({first, second}));
  auto decoded = wire::decode_message<ReplicateOp>(frame);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_FALSE(decoded.value().data.shares_with(first));
  EXPECT_FALSE(decoded.value().data.shares_with(second));
  EXPECT_EQ(decoded.value().data, sent.data);
  EXPECT_LE(decoder.buffer_capacity_bytes(), wire::kHeaderBytes + 100) << "the decoder let go of the assembled tail";
}

TEST(WirePayload, a_tail_given_as_views_is_copied_out_of_the_borrowed_bytes) {
  const ReplicateOp sent = write_of(1000);
  io::Bytes encoded = wire::encode_whole_frame(sent, 0);
  wire::FrameDecoder decoder;
  io::ByteView input = encoded;
  wire::Frame frame;
  ASSERT_EQ(decoder.decode(input, frame), wire::FrameDecoder::Status::frame);
  EXPECT_TRUE(input.empty());
  auto decoded = wire::decode_message<ReplicateOp>(frame);
  ASSERT_TRUE(decoded) << decoded.error();
  std::fill(encoded.begin(), encoded.end(), 0);  // the chunk is gone after the call
  EXPECT_EQ(decoded.value().data, sent.data);
}

TEST(WirePayload, a_tail_arriving_in_views_of_any_size_decodes_to_the_same_bytes) {
  const ReplicateOp sent = write_of(70'000);
  const io::Bytes encoded = wire::encode_whole_frame(sent, 0);
  for (std::size_t step : {std::size_t{1}, std::size_t{57}, std::size_t{59}, std::size_t{4096}}) {
    std::vector<io::ByteView> chunks;
    for (std::size_t pos = 0; pos < encoded.size(); pos += step) {
      chunks.push_back(io::ByteView(encoded).subspan(pos, std::min(step, encoded.size() - pos)));
    }
    wire::FrameDecoder decoder;
    const wire::Frame frame = assemble(decoder, chunks);
    auto decoded = wire::decode_message<ReplicateOp>(frame);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded.value().data, sent.data) << "chunks of " << step;
    EXPECT_EQ(decoded.value().path, "a/b");
  }
}

TEST(WirePayload, resync_messages_carry_their_data_as_the_tail) {
  const ReplicateOp op = write_of(5000);
  const ResyncBlockData block{.id = 3, .path = "f", .file_size = 9000, .extents = {{10, 5000}}, .data = op.data, .mode = 0644};
  for (const io::Bytes& encoded : {wire::encode_whole_frame(block, 0), wire::encode_whole_frame(ResyncLiveOp{op}, 0)}) {
    wire::FrameDecoder decoder;
    const wire::Frame frame = assemble(decoder, chunks_of({io::SharedBytes(encoded)}));
    EXPECT_EQ(frame.header.flags, wire::kFlagTail);
    EXPECT_EQ(frame.tail, op.data);
  }
  io::Bytes storage;
  auto decoded_block = wire::decode_message<ResyncBlockData>(wire::frame_of(block, storage));
  ASSERT_TRUE(decoded_block) << decoded_block.error();
  EXPECT_TRUE(decoded_block.value().data.shares_with(op.data));
  EXPECT_EQ(decoded_block.value().mode, 0644u);
  EXPECT_EQ(decoded_block.value().extents, (std::vector<DataExtent>{{10, 5000}}));
  auto decoded_live = wire::decode_message<ResyncLiveOp>(wire::frame_of(ResyncLiveOp{op}, storage));
  ASSERT_TRUE(decoded_live) << decoded_live.error();
  EXPECT_TRUE(decoded_live.value().op.data.shares_with(op.data));
}

TEST(WirePayload, a_message_is_refused_without_its_tail_or_with_one_it_does_not_have) {
  io::Bytes storage;
  wire::Frame frame = wire::frame_of(write_of(10), storage);
  frame.header.flags = 0;
  EXPECT_EQ(wire::decode_message<ReplicateOp>(frame).error(), "replicate_op: its tail is missing");
  wire::Frame checkpoint = wire::frame_of(Checkpoint{7}, storage);
  checkpoint.header.flags = wire::kFlagTail;
  EXPECT_EQ(wire::decode_message<Checkpoint>(checkpoint).error(), "checkpoint: a tail it does not have");
}

TEST(WirePayload, a_tail_larger_than_a_write_is_refused_by_the_op_check) {
  io::Bytes storage;
  const wire::Frame frame = wire::frame_of(write_of(kMaxWriteOpBytes + 1), storage);
  EXPECT_EQ(wire::decode_message<ReplicateOp>(frame).error(),
            "replicate_op: write larger than " + std::to_string(kMaxWriteOpBytes) + " bytes");
}

}  // namespace
}  // namespace hamirror::core
