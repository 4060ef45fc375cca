// Verifiable write payloads. Every byte a simulated client writes is a pure function
// of the op that wrote it and of its offset in the file, so the oracle never stores
// data: it knows, for each byte range of each file, which op wrote it last, and can
// recompute what the disk must hold. The op id identifies the file and the version
// (the op log maps it back to client, path and submission), the offset is folded in
// so that a block written to the wrong place, or two ops' data swapped, is caught.
//
// Payloads are never generated per write: the runner must move about 19 GB/s of
// simulated writes at 1,000x real time, more than one pass over the bytes allows. A
// payload is a slice of one immutable pool, made once per process: byte at pool
// position p is byte (p % 8) (little-endian) of a splitmix64 mix of p / 8. Op k's
// byte at file offset o is the pool's byte at base(k) + o, where base(k), a mix of k,
// is uniform over kPoolBaseBytes positions. So a torn or partial range still checks
// byte for byte, a block moved within the file or into another file no longer
// matches, and the whole path from client to disk shares the pool's bytes (the
// trace and the oracle see a pool slice by its position, see pool_bytes()). Past
// the pool (base + offset + size > kPoolBytes) the same bytes are generated.
//
// Residual risk: two ops whose bases are equal (or differ by exactly the distance
// between where one's bytes are and where the other's belong) have the same bytes
// there, so the oracle could not tell one from the other: probability 2^-23 for a
// given pair and shift, i.e. a bug that puts the wrong op's data in place goes
// unseen once in about 8 million occurrences.
#pragma once

#include <cstdint>

#include "io/bytes.h"
#include "io/shared_bytes.h"

namespace hamirror::sim::runner {

// Bases are uniform over this many byte positions.
constexpr std::uint64_t kPoolBaseBytes = std::uint64_t{8} << 20;
// Pool size: bases plus the largest offset + size the runner's workloads draw (files
// up to 4 MiB in the benchmark); a payload reaching further is generated.
constexpr std::uint64_t kPoolBytes = kPoolBaseBytes + (std::uint64_t{4} << 20);

// The bytes op `op_id` writes at [offset, offset + size): a pool slice (no copy)
// when it lies within the pool.
io::SharedBytes make_payload(std::uint64_t op_id, std::uint64_t offset, std::uint64_t size);

// True when actual[i] is the byte op_id wrote at offset + i for every i. No byte is
// read when actual is the pool slice make_payload returns.
bool payload_matches(std::uint64_t op_id, std::uint64_t offset, io::ByteView actual);

// The whole pool (made on first use, then never changed): for
// sim::Trace::fold_by_position_within.
io::ByteView pool_bytes();

}  // namespace hamirror::sim::runner
