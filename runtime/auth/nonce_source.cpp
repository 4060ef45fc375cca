#include "auth/nonce_source.h"

#include "auth/os_random.h"
#include "io/assert.h"

namespace hamirror::auth {
namespace {

class OsNonceSource final : public NonceSource {
 public:
  void fill(std::span<std::uint8_t> out) override { HM_ASSERT(os_random_bytes(out)); }
};

class SimulatedNonceSource final : public NonceSource {
 public:
  explicit SimulatedNonceSource(io::Prng& random) : random_(random) {}
  void fill(std::span<std::uint8_t> out) override {
    for (auto& byte : out) byte = static_cast<std::uint8_t>(random_.next_u64());
  }

 private:
  io::Prng& random_;
};

}  // namespace

std::unique_ptr<NonceSource> make_os_nonce_source() { return std::make_unique<OsNonceSource>(); }

std::unique_ptr<NonceSource> make_simulated_nonce_source(io::Prng& random) {
  return std::make_unique<SimulatedNonceSource>(random);
}

}  // namespace hamirror::auth
