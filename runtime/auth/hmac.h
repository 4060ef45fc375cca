// HMAC-SHA256 from the platform's vetted library: OpenSSL libcrypto on Linux
// (hmac_openssl.cpp), Windows CNG / bcrypt on Windows (hmac_cng.cpp). CMake picks the
// file; nothing here is hand-written cryptography.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>

#include "io/bytes.h"

namespace hamirror::auth {

constexpr std::size_t kTagBytes = 32;
using Tag = std::array<std::uint8_t, kTagBytes>;

// HMAC-SHA256(key, parts[0] | parts[1] | ...): the parts are hashed as one message,
// so callers need not copy header and payload into one buffer.
Tag hmac_sha256(io::ByteView key, std::initializer_list<io::ByteView> parts);

// Compares in time that depends only on the length, so a forger learns nothing from
// how long a refusal took.
bool tags_equal(io::ByteView a, io::ByteView b);

}  // namespace hamirror::auth
