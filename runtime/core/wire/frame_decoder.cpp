#include "core/wire/frame_decoder.h"

#include <algorithm>
#include <utility>

#include "io/assert.h"

namespace hamirror::core::wire {
namespace {

std::uint64_t read_be(const std::uint8_t* in, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) value = (value << 8) | in[i];
  return value;
}

std::string hex(std::uint64_t value, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (int i = digits - 1; i >= 0; --i) out += kDigits[(value >> (4 * i)) & 0xf];
  return out;
}

}  // namespace

FrameDecoder::Status FrameDecoder::fail(std::string reason) {
  HM_ASSERT(!reason.empty());
  error_ = "frame " + std::to_string(frames_decoded_) + ": " + std::move(reason);
  payload_ = io::Bytes();  // nothing more will be decoded: give the memory back
  return Status::failed;
}

bool FrameDecoder::check_header_prefix() {
  const std::uint8_t* h = header_bytes_.data();
  if (header_have_ >= 4 && read_be(h, 4) != kFrameMagic) {
    fail("bad magic " + hex(read_be(h, 4), 8) + " (not a hamirror stream)");
    return false;
  }
  if (header_have_ >= 6 && read_be(h + 4, 2) != kProtocolVersion) {
    fail("unknown protocol version " + std::to_string(read_be(h + 4, 2)) + " (this node speaks " +
         std::to_string(kProtocolVersion) + ")");
    return false;
  }
  if (header_have_ >= 8 && read_be(h + 6, 2) == static_cast<std::uint16_t>(MessageType::invalid)) {
    fail("message type 0 is invalid");
    return false;
  }
  if (header_have_ >= 12 && (read_be(h + 8, 4) & ~std::uint64_t{kKnownFlags}) != 0) {
    fail("unknown flags " + hex(read_be(h + 8, 4), 8));
    return false;
  }
  if (header_have_ >= 16 && read_be(h + 12, 4) > kMaxFrameBytes) {
    fail("payload of " + std::to_string(read_be(h + 12, 4)) + " bytes exceeds the limit of " +
         std::to_string(kMaxFrameBytes));
    return false;
  }
  return true;
}

// Grows the buffer with the bytes that came, never past the frame's checked length.
void FrameDecoder::append_payload(io::ByteView bytes) {
  const std::size_t wanted = payload_.size() + bytes.size();
  HM_ASSERT(wanted <= header_.payload_bytes);
  if (wanted > payload_.capacity()) {
    const std::size_t grown = std::max({wanted, 2 * payload_.capacity(), std::size_t{4096}});
    payload_.reserve(std::min<std::size_t>(grown, header_.payload_bytes));
  }
  payload_.insert(payload_.end(), bytes.begin(), bytes.end());
  HM_ASSERT(payload_.capacity() <= kMaxFrameBytes);
}

FrameDecoder::Status FrameDecoder::deliver(io::ByteView payload, std::shared_ptr<const io::Bytes> owner, Frame& out) {
  HM_ASSERT(payload.size() == header_.payload_bytes);
  HM_ASSERT(owner == nullptr || payload.data() == owner->data());
  out.header = header_;
  out.payload = payload;
  out.owner = std::move(owner);
  header_have_ = 0;
  ++frames_decoded_;
  return Status::frame;
}

FrameDecoder::Status FrameDecoder::decode(io::ByteView& input, Frame& out) {
  if (failed()) return Status::failed;
  if (release_payload_) {  // the caller is done with the previous frame's payload
    release_payload_ = false;
    payload_.clear();
    if (payload_.capacity() > kRetainedBufferBytes) payload_ = io::Bytes();
  }
  while (header_have_ < kHeaderBytes) {
    if (input.empty()) return Status::need_more;
    const std::size_t n = std::min(kHeaderBytes - header_have_, input.size());
    std::copy_n(input.begin(), n, header_bytes_.begin() + static_cast<std::ptrdiff_t>(header_have_));
    input = input.subspan(n);
    header_have_ += n;
    if (!check_header_prefix()) return Status::failed;
    if (header_have_ == kHeaderBytes) header_ = read_header(header_bytes_);
  }
  const std::size_t need = header_.payload_bytes;
  HM_ASSERT(need <= kMaxFrameBytes && payload_.size() <= need);
  if (payload_.empty() && input.size() >= need) {  // whole in this chunk: no copy
    const io::ByteView payload = input.first(need);
    input = input.subspan(need);
    return deliver(payload, nullptr, out);
  }
  const std::size_t n = std::min(need - payload_.size(), input.size());
  append_payload(input.first(n));
  input = input.subspan(n);
  if (payload_.size() < need) return Status::need_more;
  if (payload_.capacity() > kRetainedBufferBytes) {
    // Too large to keep for the next frame anyway: hand the buffer over, so that a
    // decoded write op shares its payload with it instead of copying it out.
    auto owner = std::make_shared<const io::Bytes>(std::move(payload_));
    payload_ = io::Bytes();
    const io::ByteView payload(*owner);
    return deliver(payload, std::move(owner), out);
  }
  release_payload_ = true;
  return deliver(payload_, nullptr, out);
}

}  // namespace hamirror::core::wire
