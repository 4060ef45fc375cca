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

// Grows `buffer` with `bytes` as they arrive: at most doubling, never past `limit`.
// Once half the bytes are in, the buffer takes its final size, so the last bytes of a
// large frame (the end of an authenticated record) do not move the first ones again.
void grow_and_append(io::Bytes& buffer, io::ByteView bytes, std::size_t limit) {
  const std::size_t wanted = buffer.size() + bytes.size();
  HM_ASSERT(wanted <= limit && limit <= kMaxFrameBytes);
  if (wanted > buffer.capacity()) {
    const std::size_t grown = std::max({wanted, 2 * buffer.capacity(), std::size_t{4096}});
    buffer.reserve(wanted >= limit / 2 ? limit : std::min(grown, limit));
  }
  buffer.insert(buffer.end(), bytes.begin(), bytes.end());
}

}  // namespace

FrameDecoder::Status FrameDecoder::fail(std::string reason) {
  HM_ASSERT(!reason.empty());
  error_ = "frame " + std::to_string(frames_decoded_) + ": " + std::move(reason);
  payload_ = io::Bytes();  // nothing more will be decoded: give the memory back
  tail_ = io::SharedBytes();
  tail_buffer_ = io::Bytes();
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
  if (header_have_ >= 16 && (read_be(h + 8, 4) & kFlagTail) != 0 && read_be(h + 12, 4) < 3) {
    fail("a payload of " + std::to_string(read_be(h + 12, 4)) + " bytes cannot hold a tail length and a body");
    return false;
  }
  return true;
}

bool FrameDecoder::read_tail_length(io::ByteView& input) {
  HM_ASSERT((header_.flags & kFlagTail) != 0 && !sizes_known_);
  while (!input.empty() && (tail_length_size_ == 0 || tail_length_have_ < tail_length_size_)) {
    if (tail_length_have_ == 0) {
      const std::uint8_t lead = input.front();
      tail_length_size_ = lead == kTail8 ? 2 : lead == kTail16 ? 3 : lead == kTail32 ? 5 : 0;
      if (tail_length_size_ == 0) {
        fail("the tail length starts with " + hex(lead, 2) + ", not a bin header");
        return false;
      }
    }
    const std::size_t n = std::min(tail_length_size_ - tail_length_have_, input.size());
    std::copy_n(input.begin(), n, tail_length_bytes_.begin() + static_cast<std::ptrdiff_t>(tail_length_have_));
    input = input.subspan(n);
    tail_length_have_ += n;
  }
  if (tail_length_size_ == 0 || tail_length_have_ < tail_length_size_) return true;  // more to come
  const std::uint64_t tail = read_be(tail_length_bytes_.data() + 1, tail_length_size_ - 1);
  const std::uint64_t room = header_.payload_bytes;  // >= 3, checked with the header
  if (tail_length_size_ + 1 > room || tail > room - tail_length_size_ - 1) {
    fail("a tail of " + std::to_string(tail) + " bytes leaves no body in a payload of " + std::to_string(room) +
         " bytes");
    return false;
  }
  tail_bytes_ = tail;
  body_bytes_ = room - tail_length_size_ - tail;
  sizes_known_ = true;
  return true;
}

// Grows the buffer with the bytes that came, never past the body's checked length.
void FrameDecoder::append_payload(io::ByteView bytes) {
  grow_and_append(payload_, bytes, std::max(body_bytes_, payload_.capacity()));
  HM_ASSERT(payload_.size() <= body_bytes_ && payload_.capacity() <= kMaxFrameBytes);
}

void FrameDecoder::add_to_tail(io::ByteView bytes, const io::SharedBytes* shared) {
  if (bytes.empty()) return;
  tail_have_ += bytes.size();
  HM_ASSERT(tail_have_ <= tail_bytes_);
  if (shared != nullptr && tail_buffer_.empty()) {
    HM_ASSERT(bytes.data() >= shared->data() && bytes.data() + bytes.size() <= shared->data() + shared->size());
    const io::SharedBytes slice = shared->slice(static_cast<std::size_t>(bytes.data() - shared->data()), bytes.size());
    if (tail_.empty()) {
      tail_ = slice;
      return;
    }
    if (tail_.join(slice)) return;  // the next bytes of the same buffer
  }
  // Views, or the tail continues in another buffer: assemble it, by copying.
  if (!tail_.empty()) {
    grow_and_append(tail_buffer_, tail_, tail_bytes_);
    tail_ = io::SharedBytes();
  }
  grow_and_append(tail_buffer_, bytes, tail_bytes_);
}

FrameDecoder::Status FrameDecoder::deliver(io::ByteView payload, std::shared_ptr<const io::Bytes> owner, Frame& out) {
  HM_ASSERT(payload.size() == body_bytes_ && tail_have_ == tail_bytes_);
  HM_ASSERT(owner == nullptr || payload.data() == owner->data());
  out.header = header_;
  out.payload = payload;
  out.owner = std::move(owner);
  out.tail = tail_buffer_.empty() ? std::move(tail_) : io::SharedBytes(std::move(tail_buffer_));
  HM_ASSERT(out.tail.size() == tail_bytes_);
  tail_ = io::SharedBytes();
  tail_buffer_ = io::Bytes();
  header_have_ = tail_length_have_ = tail_length_size_ = tail_have_ = 0;
  sizes_known_ = false;
  ++frames_decoded_;
  return Status::frame;
}

FrameDecoder::Status FrameDecoder::decode(io::ByteView& input, Frame& out) { return decode_from(input, nullptr, out); }

FrameDecoder::Status FrameDecoder::decode(io::SharedBytes& input, Frame& out) {
  io::ByteView rest = input.view();
  const Status status = decode_from(rest, &input, out);
  input = input.slice(input.size() - rest.size(), rest.size());
  return status;
}

FrameDecoder::Status FrameDecoder::decode_from(io::ByteView& input, const io::SharedBytes* shared, Frame& out) {
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
    if (header_have_ < kHeaderBytes) continue;
    header_ = read_header(header_bytes_);
    if ((header_.flags & kFlagTail) == 0) {
      body_bytes_ = header_.payload_bytes;
      tail_bytes_ = 0;
      sizes_known_ = true;
    }
  }
  if (!sizes_known_) {
    if (!read_tail_length(input)) return Status::failed;
    if (!sizes_known_) return Status::need_more;
  }
  const std::size_t need = body_bytes_;
  HM_ASSERT(need + tail_bytes_ <= kMaxFrameBytes && payload_.size() <= need);
  if (payload_.empty() && tail_have_ == 0 && input.size() >= need + tail_bytes_) {  // whole in this chunk
    const io::ByteView payload = input.first(need);  // not copied
    add_to_tail(input.subspan(need, tail_bytes_), shared);
    input = input.subspan(need + tail_bytes_);
    return deliver(payload, nullptr, out);
  }
  const std::size_t n = std::min(need - payload_.size(), input.size());
  append_payload(input.first(n));
  input = input.subspan(n);
  if (payload_.size() < need) return Status::need_more;
  const std::size_t t = std::min(tail_bytes_ - tail_have_, input.size());
  add_to_tail(input.first(t), shared);
  input = input.subspan(t);
  if (tail_have_ < tail_bytes_) return Status::need_more;
  if (payload_.capacity() > kRetainedBufferBytes) {
    // Too large to keep for the next frame anyway: hand the buffer over, so that a
    // decoded message may share its bytes instead of copying them out.
    auto owner = std::make_shared<const io::Bytes>(std::move(payload_));
    payload_ = io::Bytes();
    const io::ByteView payload(*owner);
    return deliver(payload, std::move(owner), out);
  }
  release_payload_ = true;
  return deliver(payload_, nullptr, out);
}

}  // namespace hamirror::core::wire
