// Byte buffers passed across the seam. Writers hand a view that the backend copies
// before the call returns, so callers may reuse their buffer at once.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace hamirror::io {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

inline std::string_view as_text(ByteView bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace hamirror::io
