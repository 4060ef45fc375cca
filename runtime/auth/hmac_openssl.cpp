// HMAC-SHA256 with OpenSSL 3's EVP_MAC (the HMAC_CTX API is deprecated in 3.0).
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "auth/hmac.h"
#include "io/assert.h"

namespace hamirror::auth {
namespace {

// Fetched once: fetching looks the algorithm up in the provider tables.
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  HM_ASSERT(mac != nullptr);  // libcrypto without HMAC is a broken installation
  return mac;
}

}  // namespace

Tag hmac_sha256(io::ByteView key, std::initializer_list<io::ByteView> parts) {
  EVP_MAC_CTX* context = EVP_MAC_CTX_new(hmac_algorithm());
  HM_ASSERT(context != nullptr);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  HM_ASSERT(EVP_MAC_init(context, key.data(), key.size(), params) == 1);
  for (const auto part : parts) {
    if (!part.empty()) HM_ASSERT(EVP_MAC_update(context, part.data(), part.size()) == 1);
  }
  Tag tag{};
  std::size_t length = 0;
  HM_ASSERT(EVP_MAC_final(context, tag.data(), &length, tag.size()) == 1);
  HM_ASSERT(length == kTagBytes);
  EVP_MAC_CTX_free(context);
  return tag;
}

bool tags_equal(io::ByteView a, io::ByteView b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace hamirror::auth
