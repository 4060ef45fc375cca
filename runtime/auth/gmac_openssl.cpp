// GMAC with OpenSSL's EVP AES-256-GCM: the key is set once; each tag sets only the
// nonce (EVP keeps the key schedule when the key argument is null).
#include <openssl/evp.h>

#include <limits>

#include "auth/gmac.h"
#include "io/assert.h"

namespace hamirror::auth {

struct Gmac::State {
  EVP_CIPHER_CTX* context = nullptr;
};

Gmac::Gmac(const GmacKey& key) : state_(std::make_unique<State>()) {
  state_->context = EVP_CIPHER_CTX_new();
  HM_ASSERT(state_->context != nullptr);
  HM_ASSERT(EVP_EncryptInit_ex(state_->context, EVP_aes_256_gcm(), nullptr, key.data(), nullptr) == 1);
}

Gmac::~Gmac() { EVP_CIPHER_CTX_free(state_->context); }

GmacTag Gmac::tag(const GmacNonce& nonce, std::initializer_list<io::ByteView> parts) {
  EVP_CIPHER_CTX* context = state_->context;
  int length = 0;
  HM_ASSERT(EVP_EncryptInit_ex(context, nullptr, nullptr, nullptr, nonce.data()) == 1);
  // A null output buffer makes the input additional (authenticated, not encrypted)
  // data; GCM takes it in as many pieces as it comes.
  for (const io::ByteView part : parts) {
    if (part.empty()) continue;
    HM_ASSERT(part.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()));
    HM_ASSERT(EVP_EncryptUpdate(context, nullptr, &length, part.data(), static_cast<int>(part.size())) == 1);
  }
  HM_ASSERT(EVP_EncryptFinal_ex(context, nullptr, &length) == 1);
  GmacTag tag{};
  HM_ASSERT(EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag.size()), tag.data()) == 1);
  return tag;
}

}  // namespace hamirror::auth
