// Block checksums for full reintegration: XXH3-64 of each kResyncBlockBytes block.
// Both sides hash with the same function, inlined (XXH_INLINE_ALL), so the numbers
// are the same on Linux and Windows.
#pragma once

#include <cstdint>
#include <vector>

#include "io/bytes.h"

namespace hamirror::core {

// The checksums of `bytes` cut into blocks of block_bytes (the last may be shorter).
std::vector<std::uint64_t> block_checksums(io::ByteView bytes, std::uint64_t block_bytes);

}  // namespace hamirror::core
