// HMAC-SHA256 with Windows CNG (bcrypt): a SHA-256 provider opened with the HMAC flag,
// one hash object per tag (the key is set when the object is created).
#include <windows.h>
#include <bcrypt.h>

#include "auth/hmac.h"
#include "io/assert.h"

namespace hamirror::auth {
namespace {

bool succeeded(NTSTATUS status) { return status >= 0; }

// Opened once and kept for the process: CNG providers are thread-safe and costly to open.
BCRYPT_ALG_HANDLE hmac_provider() {
  static const BCRYPT_ALG_HANDLE provider = [] {
    BCRYPT_ALG_HANDLE opened = nullptr;
    HM_ASSERT(succeeded(BCryptOpenAlgorithmProvider(&opened, BCRYPT_SHA256_ALGORITHM, nullptr,
                                                    BCRYPT_ALG_HANDLE_HMAC_FLAG)));
    return opened;
  }();
  return provider;
}

}  // namespace

Tag hmac_sha256(io::ByteView key, std::initializer_list<io::ByteView> parts) {
  BCRYPT_HASH_HANDLE hash = nullptr;
  // CNG takes non-const pointers but does not write through them.
  auto* key_bytes = const_cast<PUCHAR>(key.data());
  HM_ASSERT(succeeded(BCryptCreateHash(hmac_provider(), &hash, nullptr, 0, key_bytes, static_cast<ULONG>(key.size()), 0)));
  for (const auto part : parts) {
    if (part.empty()) continue;
    HM_ASSERT(succeeded(BCryptHashData(hash, const_cast<PUCHAR>(part.data()), static_cast<ULONG>(part.size()), 0)));
  }
  Tag tag{};
  HM_ASSERT(succeeded(BCryptFinishHash(hash, tag.data(), static_cast<ULONG>(tag.size()), 0)));
  BCryptDestroyHash(hash);
  return tag;
}

bool tags_equal(io::ByteView a, io::ByteView b) {
  if (a.size() != b.size()) return false;
  // CNG has no constant-time compare: OR every difference together, no early exit.
  volatile std::uint8_t difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference = difference | static_cast<std::uint8_t>(a[i] ^ b[i]);
  return difference == 0;
}

}  // namespace hamirror::auth
