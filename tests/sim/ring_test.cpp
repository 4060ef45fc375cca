#include "sim/ring.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "io/random.h"

namespace hamirror::sim {
namespace {

std::vector<int> contents(const Ring<int>& ring) { return std::vector<int>(ring.begin(), ring.end()); }

TEST(Ring, pops_in_the_order_pushed) {
  Ring<int> ring;
  EXPECT_TRUE(ring.empty());
  for (int i = 0; i < 3; ++i) ring.push_back(i);
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.front(), 0);
  EXPECT_EQ(ring.back(), 2);
  ring.pop_front();
  EXPECT_EQ(ring.front(), 1);
  EXPECT_EQ(contents(ring), (std::vector<int>{1, 2}));
}

TEST(Ring, keeps_the_order_when_it_grows_while_wrapped) {
  Ring<int> ring;
  // Fill the first four slots, move the head to the middle, then push past capacity:
  // the elements lie across the wrap when the ring grows.
  for (int i = 0; i < 4; ++i) ring.push_back(i);
  ring.pop_front();
  ring.pop_front();
  ring.push_back(4);
  ring.push_back(5);  // now wrapped: slots hold 4 5 2 3
  ring.push_back(6);  // grows
  EXPECT_EQ(contents(ring), (std::vector<int>{2, 3, 4, 5, 6}));
  EXPECT_EQ(ring[0], 2);
  EXPECT_EQ(ring[4], 6);
}

TEST(Ring, behaves_as_a_deque_under_a_random_mix_of_pushes_and_pops) {
  Ring<int> ring;
  std::deque<int> model;
  io::Prng random(42);
  for (int step = 0; step < 20'000; ++step) {
    if (model.empty() || random.below(3) != 0) {
      ring.push_back(step);
      model.push_back(step);
    } else {
      ASSERT_EQ(ring.front(), model.front());
      ring.pop_front();
      model.pop_front();
    }
    ASSERT_EQ(ring.size(), model.size());
    if (!model.empty()) {
      ASSERT_EQ(ring.back(), model.back());
    }
  }
  EXPECT_EQ(contents(ring), std::vector<int>(model.begin(), model.end()));
}

TEST(Ring, releases_what_an_element_holds_when_it_is_popped) {
  Ring<std::shared_ptr<int>> ring;
  auto held = std::make_shared<int>(7);
  ring.push_back(held);
  ring.push_back(std::make_shared<int>(8));
  EXPECT_EQ(held.use_count(), 2);
  ring.pop_front();
  EXPECT_EQ(held.use_count(), 1);  // not kept in the vacated slot
  ring.push_back(held);
  ring.clear();
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(held.use_count(), 1);
}

TEST(Ring, is_usable_again_after_clear) {
  Ring<std::string> ring;
  for (int i = 0; i < 10; ++i) ring.push_back(std::to_string(i));
  ring.pop_front();
  ring.clear();
  ring.push_back("a");
  ring.emplace_back("b");
  EXPECT_EQ(ring.front(), "a");
  EXPECT_EQ(ring.back(), "b");
  EXPECT_EQ(ring.size(), 2u);
}

}  // namespace
}  // namespace hamirror::sim
