#include "core/wire/frame.h"

#include <algorithm>

#include "io/assert.h"

namespace hamirror::core::wire {
namespace {

template <typename T>
void put_be(std::uint8_t* out, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out[i] = static_cast<std::uint8_t>(value >> (8 * (sizeof(T) - 1 - i)));
  }
}

template <typename T>
T get_be(const std::uint8_t* in) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) value = static_cast<T>((value << 8) | in[i]);
  return value;
}

}  // namespace

void write_header(const FrameHeader& header, std::span<std::uint8_t, kHeaderBytes> out) {
  HM_ASSERT(header.payload_bytes <= kMaxFrameBytes);
  std::uint8_t* p = out.data();
  put_be<std::uint32_t>(p + 0, kFrameMagic);
  put_be<std::uint16_t>(p + 4, header.version);
  put_be<std::uint16_t>(p + 6, static_cast<std::uint16_t>(header.type));
  put_be<std::uint32_t>(p + 8, header.flags);
  put_be<std::uint32_t>(p + 12, header.payload_bytes);
  put_be<std::uint64_t>(p + 16, header.sequence);
  std::copy(header.tag.begin(), header.tag.end(), p + kTagOffset);
}

FrameHeader read_header(std::span<const std::uint8_t, kHeaderBytes> in) {
  const std::uint8_t* p = in.data();
  FrameHeader header;
  header.version = get_be<std::uint16_t>(p + 4);
  header.type = static_cast<MessageType>(get_be<std::uint16_t>(p + 6));
  header.flags = get_be<std::uint32_t>(p + 8);
  header.payload_bytes = get_be<std::uint32_t>(p + 12);
  header.sequence = get_be<std::uint64_t>(p + 16);
  std::copy(p + kTagOffset, p + kHeaderBytes, header.tag.begin());
  return header;
}

io::Bytes encode_frame(FrameHeader header, io::ByteView payload) {
  HM_ASSERT(payload.size() <= kMaxFrameBytes);
  header.payload_bytes = static_cast<std::uint32_t>(payload.size());
  io::Bytes frame(kHeaderBytes + payload.size());
  write_header(header, std::span<std::uint8_t, kHeaderBytes>(frame.data(), kHeaderBytes));
  std::copy(payload.begin(), payload.end(), frame.begin() + kHeaderBytes);
  HM_ASSERT(frame.size() == kHeaderBytes + header.payload_bytes);
  return frame;
}

void fill_header(FrameHeader header, io::Bytes& frame) { fill_header(header, frame, 0); }

void fill_header(FrameHeader header, io::Bytes& frame, std::size_t tail_bytes) {
  HM_ASSERT(frame.size() >= kHeaderBytes && tail_bytes <= kMaxFrameBytes);
  HM_ASSERT(frame.size() - kHeaderBytes <= kMaxFrameBytes - tail_bytes);
  header.payload_bytes = static_cast<std::uint32_t>(frame.size() - kHeaderBytes + tail_bytes);
  write_header(header, std::span<std::uint8_t, kHeaderBytes>(frame.data(), kHeaderBytes));
}

std::size_t tail_length_bytes(std::size_t tail_bytes) {
  HM_ASSERT(tail_bytes <= kMaxFrameBytes);
  if (tail_bytes <= 0xff) return 2;
  return tail_bytes <= 0xffff ? 3 : 5;
}

void write_tail_length(std::size_t tail_bytes, std::span<std::uint8_t> out) {
  const std::size_t size = tail_length_bytes(tail_bytes);
  HM_ASSERT(out.size() == size);
  out[0] = size == 2 ? kTail8 : size == 3 ? kTail16 : kTail32;
  for (std::size_t i = 1; i < size; ++i) out[i] = static_cast<std::uint8_t>(tail_bytes >> (8 * (size - 1 - i)));
}

io::Bytes encode_frame(MessageType type, std::uint64_t sequence, io::ByteView payload) {
  FrameHeader header;
  header.type = type;
  header.sequence = sequence;
  return encode_frame(header, payload);
}

}  // namespace hamirror::core::wire
