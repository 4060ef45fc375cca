// FileOps as the core tests write them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/replication/file_op.h"

namespace hamirror::core::test {

// A write of `text` at `offset`.
inline FileOp write_op(const std::string& path, std::uint64_t offset, std::string_view text) {
  FileOp op{.kind = OpKind::write, .path = path, .offset = offset};
  op.data = io::Bytes(text.begin(), text.end());
  return op;
}

}  // namespace hamirror::core::test
