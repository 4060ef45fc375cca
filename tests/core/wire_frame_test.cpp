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

io::Bytes text_bytes(const std::string& text) { return io::Bytes(text.begin(), text.end()); }

struct Decoded {
  FrameHeader header;
  io::Bytes payload;
};

// Feeds `input` in one call sequence; collects every frame, stops at an error.
FrameDecoder::Status feed(FrameDecoder& decoder, io::ByteView input, std::vector<Decoded>& frames) {
  Frame frame;
  while (true) {
    const auto status = decoder.decode(input, frame);
    EXPECT_LE(decoder.buffer_capacity_bytes(), kDecoderBound);
    if (status != FrameDecoder::Status::frame) return status;
    frames.push_back({frame.header, io::Bytes(frame.payload.begin(), frame.payload.end())});
  }
}

io::Bytes header_with(std::size_t offset, std::vector<std::uint8_t> bytes) {
  io::Bytes frame = encode_frame(MessageType::ping, 0, text_bytes("payload"));
  std::copy(bytes.begin(), bytes.end(), frame.begin() + static_cast<std::ptrdiff_t>(offset));
  return frame;
}

TEST(WireFrame, a_frame_survives_encoding_and_decoding_with_every_header_field) {
  FrameHeader header;
  header.type = MessageType::hello;
  header.sequence = 0x0102030405060708;
  for (std::size_t i = 0; i < kTagBytes; ++i) header.tag[i] = static_cast<std::uint8_t>(i + 1);
  const io::Bytes payload = text_bytes("hello, peer");
  const io::Bytes encoded = encode_frame(header, payload);
  ASSERT_EQ(encoded.size(), kHeaderBytes + payload.size());

  FrameDecoder decoder;
  std::vector<Decoded> frames;
  EXPECT_EQ(feed(decoder, encoded, frames), FrameDecoder::Status::need_more);
  ASSERT_EQ(frames.size(), 1u);
  header.payload_bytes = static_cast<std::uint32_t>(payload.size());
  EXPECT_EQ(frames[0].header, header);
  EXPECT_EQ(frames[0].payload, payload);
  EXPECT_EQ(decoder.frames_decoded(), 1u);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(WireFrame, the_header_is_big_endian_at_fixed_offsets_and_the_tag_starts_zeroed) {
  const io::Bytes encoded = encode_frame(MessageType::pong, 0x1122334455667788, text_bytes("xyz"));
  const io::Bytes expected_prefix = {'H', 'M', 'I', 'R',                               // magic
                                     0x00, 0x04,                                       // version
                                     0x00, 0x03,                                       // type: pong
                                     0x00, 0x00, 0x00, 0x00,                           // flags
                                     0x00, 0x00, 0x00, 0x03,                           // payload bytes
                                     0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};  // sequence
  ASSERT_EQ(expected_prefix.size(), kTagOffset);
  EXPECT_TRUE(std::equal(expected_prefix.begin(), expected_prefix.end(), encoded.begin()));
  EXPECT_TRUE(std::all_of(encoded.begin() + kTagOffset, encoded.begin() + kHeaderBytes,
                          [](std::uint8_t b) { return b == 0; }));
  EXPECT_EQ(kHeaderBytes, 56u);
  EXPECT_EQ(kMaxFrameBytes, 8u * 1024 * 1024);
}

TEST(WireFrame, every_truncation_of_a_valid_frame_is_incomplete_and_completes_when_the_rest_arrives) {
  const io::Bytes encoded = encode_frame(MessageType::hello, 0, text_bytes("a payload of some length"));
  for (std::size_t cut = 0; cut < encoded.size(); ++cut) {
    FrameDecoder decoder;
    std::vector<Decoded> frames;
    ASSERT_EQ(feed(decoder, io::ByteView(encoded).first(cut), frames), FrameDecoder::Status::need_more)
        << "cut at " << cut << ": " << decoder.error();
    EXPECT_TRUE(frames.empty());
    EXPECT_FALSE(decoder.failed());
    EXPECT_EQ(decoder.buffered_bytes(), cut);
    ASSERT_EQ(feed(decoder, io::ByteView(encoded).subspan(cut), frames), FrameDecoder::Status::need_more);
    ASSERT_EQ(frames.size(), 1u) << "cut at " << cut;
    EXPECT_EQ(frames[0].payload, text_bytes("a payload of some length"));
  }
}

TEST(WireFrame, a_stream_fed_byte_by_byte_yields_every_frame_in_order) {
  io::Bytes stream;
  for (std::uint64_t i = 0; i < 20; ++i) {
    const io::Bytes frame = encode_frame(MessageType::ping, i, io::Bytes(i * 7, static_cast<std::uint8_t>(i)));
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  FrameDecoder decoder;
  std::vector<Decoded> frames;
  for (std::uint8_t byte : stream) {
    ASSERT_EQ(feed(decoder, io::ByteView(&byte, 1), frames), FrameDecoder::Status::need_more);
  }
  ASSERT_EQ(frames.size(), 20u);
  for (std::uint64_t i = 0; i < 20; ++i) {
    EXPECT_EQ(frames[i].header.sequence, i);
    EXPECT_EQ(frames[i].payload, io::Bytes(i * 7, static_cast<std::uint8_t>(i)));
  }
}

TEST(WireFrame, frames_cut_at_random_points_come_out_whole_and_in_order) {
  io::Prng prng(11);
  std::vector<io::Bytes> payloads;
  io::Bytes stream;
  for (std::uint64_t i = 0; i < 200; ++i) {
    io::Bytes payload(prng.below(i % 10 == 0 ? 200'000 : 300));
    for (auto& b : payload) b = static_cast<std::uint8_t>(prng.below(256));
    const io::Bytes frame = encode_frame(MessageType::pong, i, payload);
    stream.insert(stream.end(), frame.begin(), frame.end());
    payloads.push_back(std::move(payload));
  }
  FrameDecoder decoder;
  std::vector<Decoded> frames;
  for (std::size_t pos = 0; pos < stream.size();) {
    const std::size_t size = std::min<std::size_t>(1 + prng.below(70'000), stream.size() - pos);
    ASSERT_EQ(feed(decoder, io::ByteView(stream).subspan(pos, size), frames), FrameDecoder::Status::need_more);
    pos += size;
  }
  ASSERT_EQ(frames.size(), payloads.size());
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i].payload, payloads[i]) << "frame " << i;
}

TEST(WireFrame, a_frame_that_arrives_whole_is_handed_out_without_a_copy) {
  const io::Bytes encoded = encode_frame(MessageType::ping, 0, text_bytes("zero copy"));
  FrameDecoder decoder;
  io::ByteView input = encoded;
  Frame frame;
  ASSERT_EQ(decoder.decode(input, frame), FrameDecoder::Status::frame);
  EXPECT_EQ(frame.payload.data(), encoded.data() + kHeaderBytes);
  EXPECT_TRUE(input.empty());
}

TEST(WireFrame, a_length_over_the_limit_is_refused_before_any_payload_is_buffered) {
  for (std::uint32_t length : {std::uint32_t{kMaxFrameBytes + 1}, std::uint32_t{0xffffffff}}) {
    const io::Bytes header =
        header_with(12, {static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
                         static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)});
    FrameDecoder decoder;
    std::vector<Decoded> frames;
    // The length is refused as soon as its four bytes are in, header unfinished.
    EXPECT_EQ(feed(decoder, io::ByteView(header).first(16), frames), FrameDecoder::Status::failed);
    EXPECT_NE(decoder.error().find("exceeds the limit of 8388608"), std::string::npos) << decoder.error();
    EXPECT_EQ(decoder.buffer_capacity_bytes(), kHeaderBytes);
    EXPECT_TRUE(frames.empty());
  }
}

TEST(WireFrame, a_frame_of_exactly_the_maximum_size_is_accepted_and_its_buffer_released_after) {
  const io::Bytes payload(kMaxFrameBytes, 0x5a);
  const io::Bytes encoded = encode_frame(MessageType::ping, 0, payload);
  const io::Bytes small = encode_frame(MessageType::ping, 1, text_bytes("small"));
  FrameDecoder decoder;
  std::vector<Decoded> frames;
  for (std::size_t pos = 0; pos < encoded.size(); pos += 64 * 1024) {
    const std::size_t size = std::min<std::size_t>(64 * 1024, encoded.size() - pos);
    ASSERT_EQ(feed(decoder, io::ByteView(encoded).subspan(pos, size), frames), FrameDecoder::Status::need_more);
  }
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].payload, payload);
  ASSERT_EQ(feed(decoder, small, frames), FrameDecoder::Status::need_more);
  EXPECT_EQ(frames.size(), 2u);
  EXPECT_LE(decoder.buffer_capacity_bytes(), kHeaderBytes + kRetainedBufferBytes);
}

TEST(WireFrame, the_buffer_grows_with_the_bytes_that_arrive_not_with_the_length_claimed) {
  const io::Bytes encoded = encode_frame(MessageType::ping, 0, io::Bytes(kMaxFrameBytes, 1));
  FrameDecoder decoder;
  std::vector<Decoded> frames;
  ASSERT_EQ(feed(decoder, io::ByteView(encoded).first(kHeaderBytes + 100), frames), FrameDecoder::Status::need_more);
  EXPECT_LE(decoder.buffer_capacity_bytes(), kHeaderBytes + 4096);
  ASSERT_EQ(feed(decoder, io::ByteView(encoded).subspan(kHeaderBytes + 100, 1'000'000), frames),
            FrameDecoder::Status::need_more);
  EXPECT_LE(decoder.buffer_capacity_bytes(), kHeaderBytes + 2 * (100 + 1'000'000));
}

TEST(WireFrame, a_wrong_magic_is_refused_with_a_reason_as_soon_as_its_four_bytes_arrive) {
  const io::Bytes http = text_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  FrameDecoder decoder;
  std::vector<Decoded> frames;
  EXPECT_EQ(feed(decoder, io::ByteView(http).first(3), frames), FrameDecoder::Status::need_more);
  EXPECT_EQ(feed(decoder, io::ByteView(http).subspan(3, 1), frames), FrameDecoder::Status::failed);
  EXPECT_EQ(decoder.error(), "frame 0: bad magic 0x47455420 (not a hamirror stream)");
}

TEST(WireFrame, an_unknown_version_is_refused_with_a_reason) {
  const io::Bytes frame = header_with(4, {0x00, 0x09});
  FrameDecoder decoder;
  std::vector<Decoded> frames;
  EXPECT_EQ(feed(decoder, frame, frames), FrameDecoder::Status::failed);
  EXPECT_EQ(decoder.error(), "frame 0: unknown protocol version 9 (this node speaks 4)");
  EXPECT_TRUE(frames.empty());
}

TEST(WireFrame, type_zero_and_unknown_flags_are_refused_with_a_reason) {
  FrameDecoder zero_type;
  std::vector<Decoded> frames;
  EXPECT_EQ(feed(zero_type, header_with(6, {0x00, 0x00}), frames), FrameDecoder::Status::failed);
  EXPECT_EQ(zero_type.error(), "frame 0: message type 0 is invalid");
  FrameDecoder flagged;
  EXPECT_EQ(feed(flagged, header_with(8, {0x80, 0x00, 0x00, 0x01}), frames), FrameDecoder::Status::failed);
  EXPECT_EQ(flagged.error(), "frame 0: unknown flags 0x80000001");
}

TEST(WireFrame, a_refused_stream_stays_refused_and_the_reason_names_the_frame) {
  const io::Bytes good = encode_frame(MessageType::ping, 0, text_bytes("ok"));
  io::Bytes stream = good;
  const io::Bytes bad = header_with(0, {'X'});
  stream.insert(stream.end(), bad.begin(), bad.end());
  FrameDecoder decoder;
  std::vector<Decoded> frames;
  EXPECT_EQ(feed(decoder, stream, frames), FrameDecoder::Status::failed);
  EXPECT_EQ(frames.size(), 1u);
  EXPECT_EQ(decoder.error().rfind("frame 1: bad magic", 0), 0u) << decoder.error();
  EXPECT_EQ(feed(decoder, good, frames), FrameDecoder::Status::failed);
  EXPECT_EQ(frames.size(), 1u);
}

TEST(WireFrame, random_garbage_never_crashes_and_never_grows_the_buffer_past_its_bound) {
  io::Prng prng(2024);
  int refused = 0;
  for (int round = 0; round < 5000; ++round) {
    // Garbage, often behind a valid header prefix (so the length and later fields get
    // exercised), fed in random chunks.
    io::Bytes stream;
    if (prng.chance(1, 2)) {
      const io::Bytes valid = encode_frame(MessageType::ping, 0, io::Bytes(prng.below(64), 7));
      stream.assign(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(prng.below(kHeaderBytes)));
    }
    const std::size_t noise = prng.below(prng.chance(1, 10) ? 20'000 : 200);
    for (std::size_t i = 0; i < noise; ++i) stream.push_back(static_cast<std::uint8_t>(prng.below(256)));
    FrameDecoder decoder;
    std::vector<Decoded> frames;
    auto status = FrameDecoder::Status::need_more;
    for (std::size_t pos = 0; pos < stream.size() && status == FrameDecoder::Status::need_more;) {
      const std::size_t size = std::min<std::size_t>(1 + prng.below(300), stream.size() - pos);
      status = feed(decoder, io::ByteView(stream).subspan(pos, size), frames);
      pos += size;
      ASSERT_LE(decoder.buffer_capacity_bytes(), std::max<std::size_t>(kHeaderBytes + 4096, kHeaderBytes + 2 * pos));
    }
    if (status == FrameDecoder::Status::failed) {
      ++refused;
      EXPECT_FALSE(decoder.error().empty());
    }
  }
  EXPECT_GT(refused, 2500);
}

}  // namespace
}  // namespace hamirror::core::wire
