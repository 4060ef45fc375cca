// Bytes from the operating system's cryptographically secure generator: OpenSSL's
// RAND_bytes on Linux (os_random_openssl.cpp), BCryptGenRandom on Windows
// (os_random_cng.cpp). For keys and nonces; never the simulator's io::Prng.
#pragma once

#include <cstdint>
#include <span>

namespace hamirror::auth {

// Fills `out`; false when the OS generator failed (then `out` must not be used).
[[nodiscard]] bool os_random_bytes(std::span<std::uint8_t> out);

}  // namespace hamirror::auth
