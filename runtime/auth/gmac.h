// GMAC: AES-256-GCM with no plaintext and the message as its additional data, from the
// platform's vetted library (gmac_openssl.cpp on Linux, gmac_cng.cpp on Windows).
//
// Why not HMAC-SHA256 for the stream records: a replication stream authenticates every
// byte it carries on both ends, and HMAC-SHA256 runs at ~1.5 GB/s even with the SHA
// extensions, where GMAC runs at ~8 GB/s with AES-NI and carry-less multiply (this
// project's machines, 64 KiB messages: OpenSSL 1.46 vs 8.3 GB/s; CNG under Wine 6.4
// GB/s). HMAC took a third of each daemon's event-loop CPU under a stream of 1 MiB
// replicated writes (perf).
//
// GMAC is a MAC only under a unique nonce: one key must never tag two messages with the
// same nonce (a repeat lets a forger find the hash key). Records derive their nonces
// from direction and sequence under a key made for one connection (record.h), so no
// nonce repeats.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>

#include "io/bytes.h"

namespace hamirror::auth {

constexpr std::size_t kGmacKeyBytes = 32;
constexpr std::size_t kGmacNonceBytes = 12;
constexpr std::size_t kGmacTagBytes = 16;
using GmacKey = std::array<std::uint8_t, kGmacKeyBytes>;
using GmacNonce = std::array<std::uint8_t, kGmacNonceBytes>;
using GmacTag = std::array<std::uint8_t, kGmacTagBytes>;

// One key's schedule, made once and used for many tags. Not thread-safe: one user at a
// time (a stream's records are sealed and opened on its event loop).
class Gmac {
 public:
  explicit Gmac(const GmacKey& key);
  ~Gmac();
  Gmac(const Gmac&) = delete;
  Gmac& operator=(const Gmac&) = delete;

  // The tag of `message` under this key and `nonce`.
  GmacTag tag(const GmacNonce& nonce, io::ByteView message) { return tag(nonce, {message}); }
  // The tag of parts[0] | parts[1] | ... as one message, so callers need not join them
  // (CNG joins them in a buffer of its own: its GCM takes the additional data whole).
  GmacTag tag(const GmacNonce& nonce, std::initializer_list<io::ByteView> parts);

 private:
  struct State;  // the library's key object: gmac_openssl.cpp or gmac_cng.cpp
  std::unique_ptr<State> state_;
};

}  // namespace hamirror::auth
