#include "fuse/write_split.h"

#include <algorithm>

namespace hamirror::fuse {

std::vector<core::FileOp> split_write(std::uint32_t directory, const std::string& path, std::uint64_t offset,
                                      const char* data, std::size_t size) {
  std::vector<core::FileOp> ops;
  ops.reserve((size + core::kMaxWriteOpBytes - 1) / core::kMaxWriteOpBytes);
  for (std::size_t done = 0; done < size;) {
    const std::size_t part = std::min(core::kMaxWriteOpBytes, size - done);
    core::FileOp op{.kind = core::OpKind::write, .directory = directory, .path = path, .offset = offset + done};
    op.data = io::Bytes(data + done, data + done + part);
    ops.push_back(std::move(op));
    done += part;
  }
  return ops;
}

}  // namespace hamirror::fuse
