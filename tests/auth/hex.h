// Hex text for the crypto tests' vectors.
#pragma once

#include <string>

#include "io/bytes.h"

namespace hamirror::auth {

inline io::Bytes from_hex(const std::string& hex) {
  io::Bytes bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

inline std::string to_hex(io::ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (const auto byte : bytes) {
    text += kDigits[byte >> 4];
    text += kDigits[byte & 0x0f];
  }
  return text;
}

}  // namespace hamirror::auth
