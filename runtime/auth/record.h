// Records: how bytes written to an authenticated stream travel after the handshake.
//
//   [u32 length][payload: length bytes][tag: GMAC(record key, nonce, u32 length | payload)]
//   nonce = direction (1 byte) | 3 zero bytes | u64 sequence, big-endian
//
// The sequence counts the records of one direction from 0 and is never sent: both ends
// know it, so a record replayed, dropped, reordered or moved to another connection
// (another record key) fails its tag. The direction keeps a record from being
// reflected back to its sender. The record key is made for one connection (handshake.h)
// and the sequence never repeats within a direction, so no GMAC nonce is used twice
// (gmac.h says why that matters).
//
// A write larger than kMaxRecordPayloadBytes is split into several records: records
// need not match the core's frames (the stream is a byte stream), and a small bound
// keeps the reader's buffer small and lets the first bytes of a large frame through
// before its last ones arrived. 64 KiB: the reader checks each record as it arrives
// while the sender seals the next, so a 1 MiB frame's tags on both ends overlap its
// transfer instead of adding two whole-MiB passes to its latency (20 bytes of tag and
// length per 64 KiB).
#pragma once

#include <array>
#include <cstdint>

#include "auth/gmac.h"
#include "io/bytes.h"

namespace hamirror::auth {

enum class Direction : std::uint8_t { client_to_server = 1, server_to_client = 2 };

constexpr std::size_t kRecordLengthBytes = 4;
constexpr std::size_t kRecordOverheadBytes = kRecordLengthBytes + kGmacTagBytes;
constexpr std::size_t kMaxRecordPayloadBytes = 64 * 1024;

// Bytes on the wire for `payload_bytes` of payload, split into records.
std::size_t sealed_size(std::size_t payload_bytes);

// Appends one record to `out` holding `payload` (at most kMaxRecordPayloadBytes).
void seal_record(Gmac& record_key, Direction direction, std::uint64_t sequence, io::ByteView payload, io::Bytes& out);

// What a record adds around its payload, for a sender that writes the payload from
// where it lies instead of copying it into the record: on the wire, `length`, then
// `first` then `second`, then `tag` — the same bytes seal_record() appends.
struct RecordFraming {
  std::array<std::uint8_t, kRecordLengthBytes> length{};
  GmacTag tag{};
};
RecordFraming frame_record(Gmac& record_key, Direction direction, std::uint64_t sequence, io::ByteView first,
                           io::ByteView second);

enum class RecordStatus {
  incomplete,  // more bytes needed
  opened,      // `payload` is authentic
  too_large,   // the length exceeds kMaxRecordPayloadBytes
  bad_tag,     // tampered, replayed, reordered or from another connection
};

struct OpenedRecord {
  RecordStatus status = RecordStatus::incomplete;
  std::size_t consumed_bytes = 0;  // when opened: the record's size in `buffer`
  io::ByteView payload;            // when opened: points into `buffer`
};

// How many more bytes the record at the start of `buffer` needs to be whole: its
// length first, then the rest; 0 once it is whole, or once its length is too large
// (open_record() refuses it).
std::size_t record_bytes_missing(io::ByteView buffer);

// Looks at the start of `buffer` for the record number `sequence`.
OpenedRecord open_record(Gmac& record_key, Direction direction, std::uint64_t sequence, io::ByteView buffer);

}  // namespace hamirror::auth
