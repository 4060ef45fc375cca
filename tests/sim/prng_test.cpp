#include "io/random.h"

#include <gtest/gtest.h>

#include <array>

namespace hamirror::io {
namespace {

TEST(Prng, same_seed_draws_the_same_known_sequence_on_every_platform) {
  // The first outputs for seed 1 are pinned: the Windows build must match them too.
  Prng a(1), b(1);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next_u64(), b.next_u64());
  Prng pinned(1);
  EXPECT_EQ(pinned.next_u64(), 0xb3f2af6d0fc710c5ULL);
}

TEST(Prng, below_stays_in_range_and_covers_it) {
  Prng prng(7);
  std::array<int, 6> seen{};
  for (int i = 0; i < 6000; ++i) {
    const auto value = prng.below(6);
    ASSERT_LT(value, 6u);
    ++seen[value];
  }
  for (int count : seen) EXPECT_GT(count, 800);  // ~1000 each
}

TEST(Prng, between_includes_both_ends) {
  Prng prng(3);
  bool low = false, high = false;
  for (int i = 0; i < 1000; ++i) {
    const auto value = prng.between(-2, 2);
    ASSERT_GE(value, -2);
    ASSERT_LE(value, 2);
    low |= value == -2;
    high |= value == 2;
  }
  EXPECT_TRUE(low && high);
}

TEST(Prng, chance_of_zero_never_and_of_one_always) {
  Prng prng(11);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(prng.chance(0.0));
    ASSERT_TRUE(prng.chance(1.0));
    ASSERT_FALSE(prng.chance(0, 5));
    ASSERT_TRUE(prng.chance(5, 5));
  }
}

}  // namespace
}  // namespace hamirror::io
