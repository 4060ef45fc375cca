#include "auth/handshake.h"

#include <algorithm>

#include "io/assert.h"

namespace hamirror::auth {

io::Bytes encode_hello(const Nonce& nonce) {
  io::Bytes hello(kHelloBytes);
  std::copy(kHelloMagic.begin(), kHelloMagic.end(), hello.begin());
  std::copy(nonce.begin(), nonce.end(), hello.begin() + kHelloMagic.size());
  return hello;
}

std::optional<Nonce> decode_hello(io::ByteView hello) {
  HM_ASSERT(hello.size() == kHelloBytes);
  if (!std::equal(kHelloMagic.begin(), kHelloMagic.end(), hello.begin())) return std::nullopt;
  Nonce nonce;
  std::copy(hello.begin() + kHelloMagic.size(), hello.end(), nonce.begin());
  return nonce;
}

bool is_version_1_hello(io::ByteView hello) {
  HM_ASSERT(hello.size() == kHelloBytes);
  return std::equal(kVersion1HelloMagic.begin(), kVersion1HelloMagic.end(), hello.begin());
}

Tag handshake_proof(const ClusterKey& key, Role prover, const Nonce& client, const Nonce& server) {
  const std::uint8_t role = static_cast<std::uint8_t>(prover);
  return hmac_sha256(key.view(), {io::as_bytes("hamirror-v2 proof"), io::ByteView(&role, 1), client, server});
}

GmacKey session_key(const ClusterKey& key, const Nonce& client, const Nonce& server) {
  static_assert(kTagBytes == kGmacKeyBytes, "an HMAC-SHA256 tag is the AES-256 key");
  return hmac_sha256(key.view(), {io::as_bytes("hamirror-v2 session"), client, server});
}

}  // namespace hamirror::auth
