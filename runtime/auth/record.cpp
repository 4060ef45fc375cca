#include "auth/record.h"

#include "auth/big_endian.h"
#include "io/assert.h"

namespace hamirror::auth {
namespace {

// The payload is `first` then `second` (often empty).
Tag record_tag(const Tag& session_key, Direction direction, std::uint64_t sequence, io::ByteView length,
               io::ByteView first, io::ByteView second = {}) {
  const std::uint8_t direction_byte = static_cast<std::uint8_t>(direction);
  const auto sequence_bytes = big_endian(sequence);
  return hmac_sha256(session_key, {io::ByteView(&direction_byte, 1), sequence_bytes, length, first, second});
}

}  // namespace

std::size_t sealed_size(std::size_t payload_bytes) {
  const std::size_t records = payload_bytes == 0 ? 1 : (payload_bytes + kMaxRecordPayloadBytes - 1) / kMaxRecordPayloadBytes;
  return payload_bytes + records * kRecordOverheadBytes;
}

void seal_record(const Tag& session_key, Direction direction, std::uint64_t sequence, io::ByteView first,
                 io::ByteView second, io::Bytes& out) {
  HM_ASSERT(first.size() <= kMaxRecordPayloadBytes && second.size() <= kMaxRecordPayloadBytes - first.size());
  const auto length = big_endian(static_cast<std::uint32_t>(first.size() + second.size()));
  const Tag tag = record_tag(session_key, direction, sequence, length, first, second);
  out.insert(out.end(), length.begin(), length.end());
  out.insert(out.end(), first.begin(), first.end());
  out.insert(out.end(), second.begin(), second.end());
  out.insert(out.end(), tag.begin(), tag.end());
}

OpenedRecord open_record(const Tag& session_key, Direction direction, std::uint64_t sequence, io::ByteView buffer) {
  if (buffer.size() < kRecordLengthBytes) return {};
  const std::size_t length = read_big_endian<std::uint32_t>(buffer);
  if (length > kMaxRecordPayloadBytes) return {.status = RecordStatus::too_large};
  const std::size_t total = kRecordOverheadBytes + length;
  if (buffer.size() < total) return {};
  const auto payload = buffer.subspan(kRecordLengthBytes, length);
  const Tag expected = record_tag(session_key, direction, sequence, buffer.first(kRecordLengthBytes), payload);
  if (!tags_equal(expected, buffer.subspan(kRecordLengthBytes + length, kTagBytes))) return {.status = RecordStatus::bad_tag};
  return {.status = RecordStatus::opened, .consumed_bytes = total, .payload = payload};
}

}  // namespace hamirror::auth
