// Internal to runtime/auth: fixed-width integers on the wire, most significant byte first.
#pragma once

#include <array>
#include <cstdint>

#include "io/bytes.h"

namespace hamirror::auth {

template <typename Unsigned>
std::array<std::uint8_t, sizeof(Unsigned)> big_endian(Unsigned value) {
  std::array<std::uint8_t, sizeof(Unsigned)> out{};
  for (std::size_t i = sizeof(Unsigned); i-- > 0;) {
    out[i] = static_cast<std::uint8_t>(value);
    value = static_cast<Unsigned>(value >> 8);
  }
  return out;
}

// Reads sizeof(Unsigned) bytes at the start of `bytes` (the caller checked the size).
template <typename Unsigned>
Unsigned read_big_endian(io::ByteView bytes) {
  Unsigned value = 0;
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) value = static_cast<Unsigned>((value << 8) | bytes[i]);
  return value;
}

}  // namespace hamirror::auth
