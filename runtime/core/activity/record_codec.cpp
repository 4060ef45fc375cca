#include "core/activity/record_codec.h"

#include "io/assert.h"

namespace hamirror::core {
namespace {

constexpr std::size_t kEnvelopeBytes = kRecordMagicBytes + 8 + 8;

// Little-endian, grown once per value rather than checked per byte.
void put_le(io::Bytes& out, std::uint64_t value, int size) {
  const std::size_t at = out.size();
  out.resize(at + static_cast<std::size_t>(size));
  for (int i = 0; i < size; ++i) out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value >> (8 * i));
}

void put_u64(io::Bytes& out, std::uint64_t value) { put_le(out, value, 8); }

std::uint64_t get_u64(io::ByteView bytes, std::size_t offset) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= std::uint64_t{bytes[offset + i]} << (8 * i);
  return value;
}

}  // namespace

std::uint64_t fnv1a64(io::ByteView bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const std::uint8_t byte : bytes) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

void RecordWriter::u32(std::uint32_t value) { put_le(bytes_, value, 4); }

void RecordWriter::u64(std::uint64_t value) { put_u64(bytes_, value); }

void RecordWriter::text(std::string_view value) {
  HM_ASSERT(value.size() <= UINT32_MAX);
  u32(static_cast<std::uint32_t>(value.size()));
  bytes_.insert(bytes_.end(), value.begin(), value.end());
}

io::Bytes RecordWriter::seal(std::string_view magic) const {
  HM_ASSERT(magic.size() == kRecordMagicBytes);
  io::Bytes out;
  out.reserve(bytes_.size() + kEnvelopeBytes);
  out.insert(out.end(), magic.begin(), magic.end());
  put_u64(out, bytes_.size());
  out.insert(out.end(), bytes_.begin(), bytes_.end());
  put_u64(out, fnv1a64(out));
  return out;
}

bool RecordReader::u8(std::uint8_t& value) {
  if (remaining() < 1) return false;
  value = body_[offset_++];
  return true;
}

bool RecordReader::u32(std::uint32_t& value) {
  if (remaining() < 4) return false;
  value = 0;
  for (int i = 0; i < 4; ++i) value |= std::uint32_t{body_[offset_ + i]} << (8 * i);
  offset_ += 4;
  return true;
}

bool RecordReader::u64(std::uint64_t& value) {
  if (remaining() < 8) return false;
  value = get_u64(body_, offset_);
  offset_ += 8;
  return true;
}

bool RecordReader::text(std::string& value, std::size_t max_bytes) {
  std::uint32_t size = 0;
  if (!u32(size) || size > max_bytes || size > remaining()) return false;
  value.assign(reinterpret_cast<const char*>(body_.data() + offset_), size);
  offset_ += size;
  return true;
}

std::optional<io::ByteView> open_record(io::ByteView record, std::string_view magic, std::string& why) {
  HM_ASSERT(magic.size() == kRecordMagicBytes);
  if (record.size() < kEnvelopeBytes) {
    why = "record of " + std::to_string(record.size()) + " bytes is shorter than its envelope";
    return std::nullopt;
  }
  if (io::as_text(record.first(kRecordMagicBytes)) != magic) {
    why = "record does not start with " + std::string(magic);
    return std::nullopt;
  }
  const std::uint64_t body_bytes = get_u64(record, kRecordMagicBytes);
  if (body_bytes != record.size() - kEnvelopeBytes) {
    why = "record says " + std::to_string(body_bytes) + " body bytes, file holds " +
          std::to_string(record.size() - kEnvelopeBytes);
    return std::nullopt;
  }
  const std::size_t checksum_at = record.size() - 8;
  if (fnv1a64(record.first(checksum_at)) != get_u64(record, checksum_at)) {
    why = "record checksum mismatch";
    return std::nullopt;
  }
  return record.subspan(kRecordMagicBytes + 8, static_cast<std::size_t>(body_bytes));
}

}  // namespace hamirror::core
