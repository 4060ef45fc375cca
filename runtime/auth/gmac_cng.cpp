// GMAC with Windows CNG (bcrypt): an AES provider in GCM mode, one key object per Gmac;
// each tag is a BCryptEncrypt of no bytes with the message as authenticated data.
// Tags are compared by the caller (tags_equal), never by BCryptDecrypt: Wine 8's
// BCryptDecrypt accepts a wrong GCM tag (checked on this project's machines).
#include <windows.h>
#include <bcrypt.h>

#include <limits>

#include "auth/gmac.h"
#include "io/assert.h"

namespace hamirror::auth {
namespace {

bool succeeded(NTSTATUS status) { return status >= 0; }

// Opened once and kept for the process: CNG providers are thread-safe and costly to open.
BCRYPT_ALG_HANDLE gcm_provider() {
  static const BCRYPT_ALG_HANDLE provider = [] {
    BCRYPT_ALG_HANDLE opened = nullptr;
    HM_ASSERT(succeeded(BCryptOpenAlgorithmProvider(&opened, BCRYPT_AES_ALGORITHM, nullptr, 0)));
    HM_ASSERT(succeeded(BCryptSetProperty(opened, BCRYPT_CHAINING_MODE, reinterpret_cast<PUCHAR>(const_cast<wchar_t*>(BCRYPT_CHAIN_MODE_GCM)),
                                          sizeof(BCRYPT_CHAIN_MODE_GCM), 0)));
    return opened;
  }();
  return provider;
}

}  // namespace

struct Gmac::State {
  BCRYPT_KEY_HANDLE key = nullptr;
  io::Bytes joined;  // a message given in parts, joined: CNG takes the additional data whole
};

Gmac::Gmac(const GmacKey& key) : state_(std::make_unique<State>()) {
  // CNG takes non-const pointers but does not write through them.
  HM_ASSERT(succeeded(BCryptGenerateSymmetricKey(gcm_provider(), &state_->key, nullptr, 0, const_cast<PUCHAR>(key.data()),
                                                 static_cast<ULONG>(key.size()), 0)));
}

Gmac::~Gmac() { BCryptDestroyKey(state_->key); }

GmacTag Gmac::tag(const GmacNonce& nonce, std::initializer_list<io::ByteView> parts) {
  io::ByteView message;
  std::size_t non_empty = 0;
  for (const io::ByteView part : parts) {
    if (part.empty()) continue;
    ++non_empty;
    message = part;
  }
  if (non_empty > 1) {
    state_->joined.clear();
    for (const io::ByteView part : parts) state_->joined.insert(state_->joined.end(), part.begin(), part.end());
    message = state_->joined;
  }
  HM_ASSERT(message.size() <= std::numeric_limits<ULONG>::max());
  GmacTag tag{};
  BCRYPT_AUTHENTICATED_CIPHER_MODE_INFO info;
  BCRYPT_INIT_AUTH_MODE_INFO(info);
  info.pbNonce = const_cast<PUCHAR>(nonce.data());
  info.cbNonce = static_cast<ULONG>(nonce.size());
  info.pbAuthData = const_cast<PUCHAR>(message.data());
  info.cbAuthData = static_cast<ULONG>(message.size());
  info.pbTag = tag.data();
  info.cbTag = static_cast<ULONG>(tag.size());
  ULONG written = 0;
  HM_ASSERT(succeeded(BCryptEncrypt(state_->key, nullptr, 0, &info, nullptr, 0, nullptr, 0, &written, 0)));
  return tag;
}

}  // namespace hamirror::auth
