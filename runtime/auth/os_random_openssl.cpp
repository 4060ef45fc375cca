#include <openssl/rand.h>

#include <climits>

#include "auth/os_random.h"

namespace hamirror::auth {

bool os_random_bytes(std::span<std::uint8_t> out) {
  if (out.size() > INT_MAX) return false;
  return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

}  // namespace hamirror::auth
