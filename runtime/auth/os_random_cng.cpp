#include <windows.h>
#include <bcrypt.h>

#include "auth/os_random.h"

namespace hamirror::auth {

bool os_random_bytes(std::span<std::uint8_t> out) {
  if (out.size() > 0xFFFFFFFFu) return false;
  return BCryptGenRandom(nullptr, out.data(), static_cast<ULONG>(out.size()), BCRYPT_USE_SYSTEM_PREFERRED_RNG) >= 0;
}

}  // namespace hamirror::auth
