#include "io/random.h"

#include "io/assert.h"

namespace hamirror::io {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// __extension__ keeps -Wpedantic quiet: GCC and Clang have had this type for decades.
__extension__ typedef unsigned __int128 uint128;

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Prng::Prng(std::uint64_t seed) {
  std::uint64_t sm = seed;
  for (auto& word : state_) word = splitmix64(sm);
}

std::uint64_t Prng::next_u64() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

std::uint64_t Prng::below(std::uint64_t bound) {
  HM_ASSERT(bound > 0);
  // Lemire, "Fast Random Integer Generation in an Interval" (2019).
  uint128 product = static_cast<uint128>(next_u64()) * bound;
  std::uint64_t low = static_cast<std::uint64_t>(product);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = static_cast<uint128>(next_u64()) * bound;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

std::int64_t Prng::between(std::int64_t low, std::int64_t high) {
  HM_ASSERT(low <= high);
  const std::uint64_t span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  if (span == UINT64_MAX) return static_cast<std::int64_t>(next_u64());
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + below(span + 1));
}

bool Prng::chance(std::uint64_t numerator, std::uint64_t denominator) {
  HM_ASSERT(denominator > 0 && numerator <= denominator);
  return below(denominator) < numerator;
}

bool Prng::chance(double p) {
  HM_ASSERT(p >= 0.0 && p <= 1.0);
  if (p <= 0.0) return false;
  const double unit = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;  // exact in [0, 1)
  return unit < p;
}

Prng Prng::fork() { return Prng(next_u64()); }

}  // namespace hamirror::io
