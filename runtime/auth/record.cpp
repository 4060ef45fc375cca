#include "auth/record.h"

#include <algorithm>

#include "auth/big_endian.h"
#include "auth/hmac.h"
#include "io/assert.h"

namespace hamirror::auth {
namespace {

GmacNonce record_nonce(Direction direction, std::uint64_t sequence) {
  GmacNonce nonce{};
  nonce[0] = static_cast<std::uint8_t>(direction);
  const auto sequence_bytes = big_endian(sequence);
  std::copy(sequence_bytes.begin(), sequence_bytes.end(), nonce.end() - sequence_bytes.size());
  return nonce;
}

}  // namespace

std::size_t sealed_size(std::size_t payload_bytes) {
  const std::size_t records = payload_bytes == 0 ? 1 : (payload_bytes + kMaxRecordPayloadBytes - 1) / kMaxRecordPayloadBytes;
  return payload_bytes + records * kRecordOverheadBytes;
}

void seal_record(Gmac& record_key, Direction direction, std::uint64_t sequence, io::ByteView payload, io::Bytes& out) {
  HM_ASSERT(payload.size() <= kMaxRecordPayloadBytes);
  const auto length = big_endian(static_cast<std::uint32_t>(payload.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), length.begin(), length.end());
  out.insert(out.end(), payload.begin(), payload.end());
  // Tagged where it was just copied: length and payload are one view there.
  const GmacTag tag = record_key.tag(record_nonce(direction, sequence), io::ByteView(out).subspan(start));
  out.insert(out.end(), tag.begin(), tag.end());
}

RecordFraming frame_record(Gmac& record_key, Direction direction, std::uint64_t sequence, io::ByteView first,
                           io::ByteView second) {
  HM_ASSERT(first.size() <= kMaxRecordPayloadBytes && second.size() <= kMaxRecordPayloadBytes - first.size());
  RecordFraming framing;
  framing.length = big_endian(static_cast<std::uint32_t>(first.size() + second.size()));
  framing.tag = record_key.tag(record_nonce(direction, sequence), {framing.length, first, second});
  return framing;
}

OpenedRecord open_record(Gmac& record_key, Direction direction, std::uint64_t sequence, io::ByteView buffer) {
  if (buffer.size() < kRecordLengthBytes) return {};
  const std::size_t length = read_big_endian<std::uint32_t>(buffer);
  if (length > kMaxRecordPayloadBytes) return {.status = RecordStatus::too_large};
  const std::size_t total = kRecordOverheadBytes + length;
  if (buffer.size() < total) return {};
  const GmacTag expected = record_key.tag(record_nonce(direction, sequence), buffer.first(kRecordLengthBytes + length));
  if (!tags_equal(expected, buffer.subspan(kRecordLengthBytes + length, kGmacTagBytes))) return {.status = RecordStatus::bad_tag};
  return {.status = RecordStatus::opened, .consumed_bytes = total, .payload = buffer.subspan(kRecordLengthBytes, length)};
}

}  // namespace hamirror::auth
