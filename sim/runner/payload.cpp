#include "sim/runner/payload.h"

#include <bit>
#include <cstring>

namespace hamirror::sim::runner {

namespace {

std::uint64_t word(std::uint64_t op_id, std::uint64_t word_index) {
  std::uint64_t z = op_id * 0x9E3779B97F4A7C15ULL + word_index * 0xD1B54A32D192ED03ULL + 0x2545F4914F6CDD1DULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint8_t byte_at(std::uint64_t op_id, std::uint64_t offset) {
  return static_cast<std::uint8_t>(word(op_id, offset / 8) >> (8 * (offset % 8)));
}

// The word's bytes, least significant first: one 8-byte store where the machine is
// little-endian (every platform we build for), the same bytes elsewhere.
void store_le(std::uint8_t* out, std::uint64_t w) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out, &w, sizeof w);
  } else {
    for (std::size_t b = 0; b < 8; ++b) out[b] = static_cast<std::uint8_t>(w >> (8 * b));
  }
}

}  // namespace

io::Bytes make_payload(std::uint64_t op_id, std::uint64_t offset, std::uint64_t size) {
  io::Bytes bytes(size);
  std::uint64_t i = 0;
  // Unaligned head, whole words, unaligned tail.
  for (; i < size && (offset + i) % 8 != 0; ++i) bytes[i] = byte_at(op_id, offset + i);
  for (; i + 8 <= size; i += 8) store_le(bytes.data() + i, word(op_id, (offset + i) / 8));
  for (; i < size; ++i) bytes[i] = byte_at(op_id, offset + i);
  return bytes;
}

bool payload_matches(std::uint64_t op_id, std::uint64_t offset, io::ByteView actual) {
  std::uint64_t i = 0;
  const std::uint64_t size = actual.size();
  for (; i < size && (offset + i) % 8 != 0; ++i) {
    if (actual[i] != byte_at(op_id, offset + i)) return false;
  }
  for (; i + 8 <= size; i += 8) {
    const std::uint64_t w = word(op_id, (offset + i) / 8);
    for (std::uint64_t b = 0; b < 8; ++b) {
      if (actual[i + b] != static_cast<std::uint8_t>(w >> (8 * b))) return false;
    }
  }
  for (; i < size; ++i) {
    if (actual[i] != byte_at(op_id, offset + i)) return false;
  }
  return true;
}

}  // namespace hamirror::sim::runner
