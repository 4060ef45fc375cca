// The decoder on frames with a tail (kFlagTail): the tail length's checks, and a tail
// that arrives by reference is sliced, joined, or assembled only when it must be.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/wire/frame.h"
#include "core/wire/frame_decoder.h"
#include "io/random.h"

namespace hamirror::core::wire {
namespace {

constexpr std::size_t kDecoderBound = kHeaderBytes + kRetainedBufferBytes + kMaxFrameBytes;

io::Bytes pattern(std::size_t size, std::uint8_t seed) {
  io::Bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(seed + i * 13);
  return out;
}

// [header][tail length][body][tail], as a sender's write_gather puts it on the stream.
io::Bytes tail_frame(const io::Bytes& body, const io::Bytes& tail, std::uint64_t sequence = 0) {
  io::Bytes frame(kHeaderBytes + tail_length_bytes(tail.size()));
  write_tail_length(tail.size(), std::span<std::uint8_t>(frame).subspan(kHeaderBytes));
  frame.insert(frame.end(), body.begin(), body.end());
  fill_header(FrameHeader{.type = MessageType::replicate_op, .flags = kFlagTail, .sequence = sequence}, frame, tail.size());
  frame.insert(frame.end(), tail.begin(), tail.end());
  return frame;
}

// A header announcing a tail frame of `payload_bytes`, then `after` as its payload.
io::Bytes tail_header_then(std::uint32_t payload_bytes, const io::Bytes& after) {
  io::Bytes frame(kHeaderBytes);
  write_header(FrameHeader{.type = MessageType::replicate_op, .flags = kFlagTail, .payload_bytes = payload_bytes},
               std::span<std::uint8_t, kHeaderBytes>(frame.data(), kHeaderBytes));
  frame.insert(frame.end(), after.begin(), after.end());
  return frame;
}

struct Fed {
  FrameDecoder::Status status = FrameDecoder::Status::need_more;
  std::vector<Frame> frames;
  std::vector<io::Bytes> bodies;  // copied: a frame's payload view ends with the next call
};

template <typename Chunk>
void feed(FrameDecoder& decoder, Chunk chunk, Fed& fed) {
  while (true) {
    Frame frame;
    fed.status = decoder.decode(chunk, frame);
    EXPECT_LE(decoder.buffer_capacity_bytes(), kDecoderBound);
    if (fed.status != FrameDecoder::Status::frame) return;
    fed.frames.push_back(frame);
    fed.bodies.emplace_back(frame.payload.begin(), frame.payload.end());
  }
}

std::string refusal(const io::Bytes& stream) {
  FrameDecoder decoder;
  Fed fed;
  feed(decoder, io::ByteView(stream), fed);
  EXPECT_EQ(fed.status, FrameDecoder::Status::failed);
  EXPECT_TRUE(fed.frames.empty());
  return decoder.error();
}

TEST(WireFrameTail, a_tail_frame_decodes_to_its_body_and_tail) {
  const io::Bytes body = pattern(40, 1);
  const io::Bytes tail = pattern(300, 2);
  FrameDecoder decoder;
  Fed fed;
  feed(decoder, io::ByteView(tail_frame(body, tail)), fed);
  ASSERT_EQ(fed.frames.size(), 1u);
  EXPECT_EQ(fed.frames[0].header.flags, kFlagTail);
  EXPECT_EQ(fed.frames[0].header.payload_bytes, 3 + body.size() + tail.size());
  EXPECT_EQ(fed.bodies[0], body);
  EXPECT_EQ(fed.frames[0].tail, io::SharedBytes(tail));
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(WireFrameTail, the_tail_length_uses_the_shortest_bin_header) {
  EXPECT_EQ(tail_length_bytes(0), 2u);
  EXPECT_EQ(tail_length_bytes(255), 2u);
  EXPECT_EQ(tail_length_bytes(256), 3u);
  EXPECT_EQ(tail_length_bytes(65535), 3u);
  EXPECT_EQ(tail_length_bytes(65536), 5u);
  io::Bytes out(5);
  write_tail_length(0x012345, out);
  EXPECT_EQ(out, (io::Bytes{0xc6, 0x00, 0x01, 0x23, 0x45}));
}

TEST(WireFrameTail, a_tail_length_that_is_not_a_bin_header_is_refused) {
  EXPECT_EQ(refusal(tail_header_then(10, {0x90, 1, 2, 3})), "frame 0: the tail length starts with 0x90, not a bin header");
}

TEST(WireFrameTail, a_tail_that_leaves_no_body_is_refused_as_soon_as_its_length_is_in) {
  EXPECT_EQ(refusal(tail_header_then(10, {0xc4, 8})), "frame 0: a tail of 8 bytes leaves no body in a payload of 10 bytes");
  EXPECT_EQ(refusal(tail_header_then(5, {0xc6, 0, 0, 0, 0})),
            "frame 0: a tail of 0 bytes leaves no body in a payload of 5 bytes");
  EXPECT_EQ(refusal(tail_header_then(100, {0xc6, 0xff, 0xff, 0xff, 0xff})),
            "frame 0: a tail of 4294967295 bytes leaves no body in a payload of 100 bytes");
  EXPECT_EQ(refusal(tail_header_then(2, {0xc4, 0})), "frame 0: a payload of 2 bytes cannot hold a tail length and a body");
}

TEST(WireFrameTail, a_one_byte_body_and_an_empty_tail_are_accepted) {
  FrameDecoder decoder;
  Fed fed;
  feed(decoder, io::ByteView(tail_header_then(10, {0xc4, 7, 0xc0, 1, 2, 3, 4, 5, 6, 7})), fed);
  feed(decoder, io::ByteView(tail_frame({0xc0}, {})), fed);
  ASSERT_EQ(fed.frames.size(), 2u);
  EXPECT_EQ(fed.frames[0].payload.size(), 1u);
  EXPECT_EQ(fed.frames[0].tail, io::SharedBytes(io::Bytes{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(fed.frames[1].tail.empty());
}

TEST(WireFrameTail, a_tail_in_one_shared_chunk_is_a_slice_of_it) {
  const io::SharedBytes chunk(tail_frame(pattern(20, 3), pattern(5000, 4)));
  FrameDecoder decoder;
  Fed fed;
  feed(decoder, chunk, fed);
  ASSERT_EQ(fed.frames.size(), 1u);
  EXPECT_TRUE(fed.frames[0].tail.shares_with(chunk));
  EXPECT_EQ(fed.frames[0].tail.data(), chunk.data() + chunk.size() - 5000);
}

TEST(WireFrameTail, consecutive_slices_of_one_buffer_are_joined_without_copying) {
  const io::SharedBytes whole(tail_frame(pattern(20, 3), pattern(200'000, 4)));
  FrameDecoder decoder;
  Fed fed;
  for (std::size_t pos = 0; pos < whole.size(); pos += 1000) feed(decoder, whole.slice(pos, std::min<std::size_t>(1000, whole.size() - pos)), fed);
  ASSERT_EQ(fed.frames.size(), 1u);
  EXPECT_TRUE(fed.frames[0].tail.shares_with(whole));
  EXPECT_EQ(fed.frames[0].tail, io::SharedBytes(pattern(200'000, 4)));
  EXPECT_EQ(decoder.buffer_capacity_bytes(), kHeaderBytes + 20) << "only the small body was buffered";
}

TEST(WireFrameTail, slices_of_one_buffer_that_are_not_adjacent_are_assembled) {
  // The same bytes twice in one buffer; the tail's halves are taken from different copies.
  const io::Bytes frame = tail_frame(pattern(20, 3), pattern(10'000, 4));
  io::Bytes twice = frame;
  twice.insert(twice.end(), frame.begin(), frame.end());
  const io::SharedBytes buffer(std::move(twice));
  const std::size_t cut = frame.size() - 5000;
  FrameDecoder decoder;
  Fed fed;
  feed(decoder, buffer.slice(0, cut), fed);
  feed(decoder, buffer.slice(frame.size() + cut, frame.size() - cut), fed);
  ASSERT_EQ(fed.frames.size(), 1u);
  EXPECT_FALSE(fed.frames[0].tail.shares_with(buffer));
  EXPECT_EQ(fed.frames[0].tail, io::SharedBytes(pattern(10'000, 4)));
}

TEST(WireFrameTail, the_tail_buffer_grows_with_the_bytes_that_arrive_not_with_the_length_claimed) {
  const io::Bytes frame = tail_frame(pattern(20, 3), pattern(kMaxFrameBytes - 100, 4));
  FrameDecoder decoder;
  Fed fed;
  feed(decoder, io::ByteView(frame).first(kHeaderBytes + 5 + 20 + 100), fed);
  EXPECT_EQ(fed.status, FrameDecoder::Status::need_more);
  EXPECT_LE(decoder.buffer_capacity_bytes(), kHeaderBytes + 2 * 4096);
  feed(decoder, io::ByteView(frame).subspan(kHeaderBytes + 5 + 20 + 100), fed);
  ASSERT_EQ(fed.frames.size(), 1u);
  EXPECT_EQ(fed.frames[0].tail.size(), kMaxFrameBytes - 100);
}

TEST(WireFrameTail, a_tail_more_than_half_in_takes_its_final_size_so_the_rest_moves_nothing) {
  // As an authenticated stream delivers a 1 MiB write: one record, then a few bytes.
  const io::Bytes tail = pattern(1024 * 1024, 4);
  const io::Bytes frame = tail_frame(pattern(20, 3), tail);
  FrameDecoder decoder;
  Fed fed;
  feed(decoder, io::ByteView(frame).first(frame.size() - 10), fed);
  EXPECT_EQ(decoder.buffer_capacity_bytes(), kHeaderBytes + 20 + tail.size());
  feed(decoder, io::ByteView(frame).last(10), fed);
  ASSERT_EQ(fed.frames.size(), 1u);
  EXPECT_EQ(fed.frames[0].tail, io::SharedBytes(tail));
}

TEST(WireFrameTail, a_stream_that_ends_in_the_tail_has_its_bytes_counted_as_buffered) {
  const io::SharedBytes whole(tail_frame(pattern(20, 3), pattern(1000, 4)));
  FrameDecoder decoder;
  Fed fed;
  feed(decoder, whole.slice(0, whole.size() - 1), fed);
  EXPECT_EQ(fed.status, FrameDecoder::Status::need_more);
  EXPECT_EQ(decoder.buffered_bytes(), whole.size() - 1);
}

// Valid tail frames with a few bytes of their header, tail length or body changed, and
// garbage after, in random chunks given as shared slices or as views.
TEST(WireFrameTail, damaged_tail_frames_never_crash_and_intact_ones_decode_exactly) {
  io::Prng prng(77);
  int refused = 0;
  int intact = 0;
  for (int round = 0; round < 3000; ++round) {
    const io::Bytes body = pattern(1 + prng.below(prng.chance(1, 10) ? 70'000 : 100), static_cast<std::uint8_t>(round));
    const io::Bytes tail = pattern(prng.below(prng.chance(1, 5) ? 300'000 : 600), static_cast<std::uint8_t>(round + 1));
    io::Bytes stream = tail_frame(body, tail);
    const std::size_t damage = prng.chance(1, 4) ? 0 : 1 + prng.below(3);
    for (std::size_t i = 0; i < damage; ++i) {
      // flags and length, or the tail length and the body's first bytes
      stream[prng.chance(1, 2) ? 8 + prng.below(8) : kHeaderBytes + prng.below(6)] = static_cast<std::uint8_t>(prng.below(256));
    }
    for (std::size_t i = prng.below(100); i > 0; --i) stream.push_back(static_cast<std::uint8_t>(prng.below(256)));
    const io::SharedBytes buffer(stream);
    const bool shared = prng.chance(1, 2);
    FrameDecoder decoder;
    Fed fed;
    for (std::size_t pos = 0; pos < stream.size() && fed.status == FrameDecoder::Status::need_more;) {
      const std::size_t size = std::min<std::size_t>(1 + prng.below(prng.chance(1, 2) ? 300 : 70'000), stream.size() - pos);
      if (shared) {
        feed(decoder, buffer.slice(pos, size), fed);
      } else {
        feed(decoder, io::ByteView(stream).subspan(pos, size), fed);
      }
      pos += size;
    }
    if (fed.status == FrameDecoder::Status::failed) {
      ++refused;
      EXPECT_FALSE(decoder.error().empty());
    }
    if (damage == 0) {
      ++intact;
      ASSERT_FALSE(fed.frames.empty()) << "round " << round;
      EXPECT_EQ(fed.bodies[0], body);
      EXPECT_EQ(fed.frames[0].tail, io::SharedBytes(tail));
      if (shared) {
        EXPECT_TRUE(tail.empty() || fed.frames[0].tail.shares_with(buffer));
      }
    }
  }
  EXPECT_GT(refused, 1000);
  EXPECT_GT(intact, 500);
}

}  // namespace
}  // namespace hamirror::core::wire
