// A write as the sink takes it: ops of at most core::kMaxWriteOpBytes each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/replication/file_op.h"

namespace hamirror::fuse {

// Consecutive write ops covering [offset, offset + size); none for size 0.
std::vector<core::FileOp> split_write(std::uint32_t directory, const std::string& path, std::uint64_t offset,
                                      const char* data, std::size_t size);

}  // namespace hamirror::fuse
