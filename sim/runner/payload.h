// Verifiable write payloads. Every byte a simulated client writes is a pure function
// of the op that wrote it and of its offset in the file, so the oracle never stores
// data: it knows, for each byte range of each file, which op wrote it last, and can
// recompute what the disk must hold. The op id identifies the file and the version
// (the op log maps it back to client, path and submission), the offset is folded in
// so that a block written to the wrong place, or two ops' data swapped, is caught.
//
// Byte at file offset o written by op k: byte (o % 8) (little-endian) of
// word(k, o / 8), a splitmix64 mix of both. Cheap: one mix per 8 bytes.
#pragma once

#include <cstdint>

#include "io/bytes.h"

namespace hamirror::sim::runner {

// The bytes op `op_id` writes at [offset, offset + size).
io::Bytes make_payload(std::uint64_t op_id, std::uint64_t offset, std::uint64_t size);

// True when actual[i] is the byte op_id wrote at offset + i for every i.
bool payload_matches(std::uint64_t op_id, std::uint64_t offset, io::ByteView actual);

}  // namespace hamirror::sim::runner
