#include "fuse/attribute_ops.h"

namespace hamirror::fuse {

std::vector<core::FileOp> attribute_ops(std::uint32_t directory, const std::string& path, const AttributeChange& change) {
  std::vector<core::FileOp> ops;
  if (change.size_bytes) {
    ops.push_back({.kind = core::OpKind::truncate, .directory = directory, .path = path, .size_bytes = *change.size_bytes});
  }
  if (change.mtime_ns) {
    ops.push_back({.kind = core::OpKind::set_mtime, .directory = directory, .path = path, .mtime_ns = *change.mtime_ns});
  }
  if (change.mode) ops.push_back({.kind = core::OpKind::set_mode, .directory = directory, .path = path, .mode = *change.mode});
  return ops;
}

}  // namespace hamirror::fuse
