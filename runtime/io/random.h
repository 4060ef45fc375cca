// The project's PRNG: xoshiro256** seeded through splitmix64, with our own range
// reduction. std::uniform_*_distribution is never used: its output differs between
// standard libraries, and the Windows build must draw the same numbers as Linux.
//
// Production seeds it from the OS (see uv/); the simulator from the run's seed.
// Not thread-safe: one Prng per event loop or per simulation.
#pragma once

#include <array>
#include <cstdint>

namespace hamirror::io {

class Prng {
 public:
  explicit Prng(std::uint64_t seed);

  std::uint64_t next_u64();
  // Uniform in [0, bound), bound > 0; unbiased (Lemire's multiply-shift with rejection).
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [low, high], low <= high.
  std::int64_t between(std::int64_t low, std::int64_t high);
  // True with probability numerator / denominator (exact, no floating point).
  bool chance(std::uint64_t numerator, std::uint64_t denominator);
  // True with probability p in [0, 1]: compares 53 random bits with p, which is exact
  // IEEE arithmetic and so identical on every platform.
  bool chance(double p);

  // A new generator whose stream is independent of this one's continuation; used to
  // give each simulated component its own stream without reordering the others.
  Prng fork();

 private:
  std::array<std::uint64_t, 4> state_;
};

}  // namespace hamirror::io
