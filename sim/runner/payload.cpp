#include "sim/runner/payload.h"

#include <bit>
#include <cstring>
#include <memory>

namespace hamirror::sim::runner {

namespace {

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t word(std::uint64_t word_index) { return mix(word_index * 0xD1B54A32D192ED03ULL + 0x2545F4914F6CDD1DULL); }

std::uint8_t byte_at(std::uint64_t position) { return static_cast<std::uint8_t>(word(position / 8) >> (8 * (position % 8))); }

std::uint64_t base(std::uint64_t op_id) { return mix(op_id * 0x9E3779B97F4A7C15ULL + 0x7F4A7C159E3779B9ULL) % kPoolBaseBytes; }

// Bytes [position, position + size) of the (unbounded) sequence the pool starts.
io::Bytes generate(std::uint64_t position, std::uint64_t size) {
  io::Bytes bytes(size);
  std::uint64_t i = 0;
  for (; i < size && (position + i) % 8 != 0; ++i) bytes[i] = byte_at(position + i);
  for (; i + 8 <= size; i += 8) {
    const std::uint64_t w = word((position + i) / 8);
    // The word's bytes, least significant first, whatever the machine's byte order.
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(bytes.data() + i, &w, sizeof w);
    } else {
      for (std::size_t b = 0; b < 8; ++b) bytes[i + b] = static_cast<std::uint8_t>(w >> (8 * b));
    }
  }
  for (; i < size; ++i) bytes[i] = byte_at(position + i);
  return bytes;
}

// Made once, on first use (thread-safe: runs may share a process), never changed.
const std::shared_ptr<const io::Bytes>& pool() {
  static const std::shared_ptr<const io::Bytes> bytes = std::make_shared<const io::Bytes>(generate(0, kPoolBytes));
  return bytes;
}

}  // namespace

io::SharedBytes make_payload(std::uint64_t op_id, std::uint64_t offset, std::uint64_t size) {
  const std::uint64_t position = base(op_id) + offset;
  if (size == 0) return {};
  if (offset > kPoolBytes || position > kPoolBytes - size || size > kPoolBytes) return generate(position, size);
  const auto& bytes = pool();
  return io::SharedBytes(bytes, io::ByteView(bytes->data() + position, size));
}

bool payload_matches(std::uint64_t op_id, std::uint64_t offset, io::ByteView actual) {
  const std::uint64_t position = base(op_id) + offset;
  const std::uint64_t size = actual.size();
  if (offset <= kPoolBytes && size <= kPoolBytes && position <= kPoolBytes - size) {
    const std::uint8_t* expected = pool()->data() + position;
    return actual.data() == expected || size == 0 || std::memcmp(actual.data(), expected, size) == 0;
  }
  for (std::uint64_t i = 0; i < size; ++i) {
    if (actual[i] != byte_at(position + i)) return false;
  }
  return true;
}

io::ByteView pool_bytes() { return *pool(); }

}  // namespace hamirror::sim::runner
