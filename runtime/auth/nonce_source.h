// Where handshake nonces and datagram boot ids come from. Production uses the OS
// generator: a nonce an attacker can predict would let recorded handshakes be
// replayed. Simulated tests use a seeded PRNG so that a run replays from its seed —
// never in production (io::Prng is not cryptographic).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "io/random.h"

namespace hamirror::auth {

class NonceSource {
 public:
  virtual ~NonceSource() = default;
  NonceSource() = default;
  NonceSource(const NonceSource&) = delete;
  NonceSource& operator=(const NonceSource&) = delete;

  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// The OS generator. Stops the process if the OS cannot give random bytes: continuing
// with predictable nonces would silently void the authentication.
std::unique_ptr<NonceSource> make_os_nonce_source();

// Deterministic nonces for simulated tests; `random` must outlive the source.
std::unique_ptr<NonceSource> make_simulated_nonce_source(io::Prng& random);

}  // namespace hamirror::auth
