// The replicated ops of one setattr request, in the order they must apply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/replication/file_op.h"

namespace hamirror::fuse {

// What one setattr changes that is replicated (each set only when it changes).
struct AttributeChange {
  std::optional<std::uint64_t> size_bytes;
  std::optional<std::int64_t> mtime_ns;
  std::optional<std::uint32_t> mode;  // permission bits
};

// truncate, then set_mtime, then set_mode: a mode that makes the file read-only comes
// after the truncate it would forbid to a daemon that is not root (and on Windows,
// where a read-only file cannot be opened to write at all), on both copies. The
// mtime follows the truncate, which would move it.
std::vector<core::FileOp> attribute_ops(std::uint32_t directory, const std::string& path, const AttributeChange& change);

}  // namespace hamirror::fuse
