#include "core/reintegration/block_checksum.h"

#include <xxhash.h>

#include "io/assert.h"

namespace hamirror::core {

std::vector<std::uint64_t> block_checksums(io::ByteView bytes, std::uint64_t block_bytes) {
  HM_ASSERT(block_bytes > 0);
  std::vector<std::uint64_t> out;
  out.reserve((bytes.size() + block_bytes - 1) / block_bytes);
  for (std::uint64_t offset = 0; offset < bytes.size(); offset += block_bytes) {
    const std::uint64_t size = std::min<std::uint64_t>(block_bytes, bytes.size() - offset);
    out.push_back(XXH3_64bits(bytes.data() + offset, size));
  }
  HM_ASSERT(out.size() * block_bytes >= bytes.size());
  return out;
}

}  // namespace hamirror::core
