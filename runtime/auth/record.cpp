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

RecordFraming frame_record(Gmac& record_key, Direction direction, std::uint64_t sequence, io::ByteView first,
                           io::ByteView second) {
  HM_ASSERT(first.size() <= kMaxRecordPayloadBytes && second.size() <= kMaxRecordPayloadBytes - first.size());
  RecordFraming framing;
  framing.length = big_endian(static_cast<std::uint32_t>(first.size() + second.size()));
  framing.tag = record_key.tag(record_nonce(direction, sequence), {framing.length, first, second});
  return framing;
}

void seal_record(Gmac& record_key, Direction direction, std::uint64_t sequence, io::ByteView payload, io::Bytes& out) {
  const RecordFraming framing = frame_record(record_key, direction, sequence, payload, {});
  out.insert(out.end(), framing.length.begin(), framing.length.end());
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), framing.tag.begin(), framing.tag.end());
}

std::size_t record_bytes_missing(io::ByteView buffer) {
  if (buffer.size() < kRecordLengthBytes) return kRecordLengthBytes - buffer.size();
  const std::size_t length = read_big_endian<std::uint32_t>(buffer);
  if (length > kMaxRecordPayloadBytes) return 0;
  const std::size_t total = kRecordOverheadBytes + length;
  return total > buffer.size() ? total - buffer.size() : 0;
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
