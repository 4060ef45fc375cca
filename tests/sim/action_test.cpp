#include "sim/action.h"

#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <memory>
#include <utility>

namespace hamirror::sim {
namespace {

TEST(Action, runs_the_callable_it_was_made_from) {
  int runs = 0;
  Action action = [&runs] { ++runs; };
  ASSERT_TRUE(action);
  action();
  action();
  EXPECT_EQ(runs, 2);
}

TEST(Action, an_empty_std_function_makes_an_empty_action) {
  const std::function<void()> empty;
  const Action from_empty = empty;
  EXPECT_FALSE(from_empty);
  EXPECT_FALSE(Action(nullptr));
  EXPECT_FALSE(Action());
}

TEST(Action, keeps_small_callables_in_place_and_large_ones_on_the_heap) {
  auto small = [p = std::shared_ptr<int>(), q = std::uint64_t{0}] { (void)p, (void)q; };
  auto large = [a = std::array<char, 100>{}] { (void)a; };
  EXPECT_TRUE(Action::stores_inline<decltype(small)>());
  EXPECT_FALSE(Action::stores_inline<decltype(large)>());
  EXPECT_TRUE(BasicAction<128>::stores_inline<decltype(large)>());
}

template <typename A, typename Payload>
void check_moves_and_releases(Payload payload) {
  auto owned = std::make_shared<int>(5);
  int seen = 0;
  A first = [owned, payload, &seen] { seen = *owned + static_cast<int>(sizeof payload); };
  EXPECT_EQ(owned.use_count(), 2);
  A second = std::move(first);
  EXPECT_FALSE(first);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_EQ(owned.use_count(), 2);  // moved, not copied
  second();
  EXPECT_EQ(seen, 5 + static_cast<int>(sizeof payload));
  A third;
  third = std::move(second);
  EXPECT_EQ(owned.use_count(), 2);
  third = nullptr;  // destroys the callable now
  EXPECT_EQ(owned.use_count(), 1);
}

TEST(Action, moves_and_destroys_an_inline_callable_exactly_once) { check_moves_and_releases<Action>(std::uint64_t{0}); }

TEST(Action, moves_and_destroys_a_heap_callable_exactly_once) {
  check_moves_and_releases<Action>(std::array<char, 100>{});
}

TEST(Action, a_larger_basic_action_holds_a_std_function_and_a_result_in_place) {
  // What fsim's PendingEvents keeps: a completion callback and the value it gets.
  struct Stat {
    std::uint64_t a, b, c, d, e;
  };
  auto completion = [done = std::function<void(Stat)>(), value = Stat{}] { done(value); };
  EXPECT_FALSE(Action::stores_inline<decltype(completion)>());
  EXPECT_TRUE(BasicAction<80>::stores_inline<decltype(completion)>());
  check_moves_and_releases<BasicAction<80>>(Stat{});
}

}  // namespace
}  // namespace hamirror::sim
