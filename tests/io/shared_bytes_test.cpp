#include <gtest/gtest.h>

#include <utility>

#include "io/shared_bytes.h"

namespace hamirror::io {
namespace {

TEST(SharedBytes, taking_a_buffer_over_keeps_its_bytes_where_they_are) {
  Bytes bytes{1, 2, 3};
  const std::uint8_t* where = bytes.data();
  const SharedBytes shared(std::move(bytes));
  EXPECT_EQ(shared.data(), where);
  EXPECT_EQ(shared.size(), 3u);
}

TEST(SharedBytes, a_copy_shares_the_bytes_and_keeps_them_alive_after_the_original_is_gone) {
  auto original = std::make_unique<SharedBytes>(Bytes(4096, 7));
  const SharedBytes copy = *original;
  EXPECT_EQ(copy.data(), original->data());
  EXPECT_TRUE(copy.shares_with(*original));
  original.reset();
  ASSERT_EQ(copy.size(), 4096u);
  EXPECT_EQ(copy.view()[4095], 7);
}

TEST(SharedBytes, a_slice_is_a_view_into_the_same_bytes_and_outlives_its_parent) {
  auto parent = std::make_unique<SharedBytes>(Bytes{10, 11, 12, 13, 14});
  const SharedBytes middle = parent->slice(1, 3);
  EXPECT_EQ(middle.data(), parent->data() + 1);
  EXPECT_TRUE(middle.shares_with(*parent));
  parent.reset();
  EXPECT_EQ(middle, SharedBytes(Bytes{11, 12, 13}));
  EXPECT_EQ(middle.slice(2, 1), SharedBytes(Bytes{13}));
}

TEST(SharedBytes, a_view_into_a_buffer_someone_owns_keeps_that_buffer_alive) {
  auto owner = std::make_shared<const Bytes>(Bytes{'h', 'e', 'a', 'd', 'x', 'y'});
  const SharedBytes tail(owner, ByteView(*owner).subspan(4));
  const std::weak_ptr<const Bytes> watch = owner;
  owner.reset();
  EXPECT_FALSE(watch.expired()) << "the view holds its owner";
  EXPECT_EQ(as_text(tail), "xy");
}

TEST(SharedBytes, empty_payloads_hold_no_buffer) {
  auto owner = std::make_shared<const Bytes>(Bytes{1, 2});
  const std::weak_ptr<const Bytes> watch = owner;
  const SharedBytes nothing(std::move(owner), ByteView());
  EXPECT_TRUE(watch.expired()) << "an empty view keeps nothing alive";
  EXPECT_TRUE(nothing.empty());
  EXPECT_TRUE(SharedBytes(Bytes()).empty());
  EXPECT_FALSE(SharedBytes().shares_with(SharedBytes()));
  EXPECT_EQ(SharedBytes(), SharedBytes(Bytes()));
}

TEST(SharedBytes, copy_of_makes_an_independent_buffer_and_equality_is_by_content) {
  Bytes source{5, 6, 7};
  const SharedBytes copied = SharedBytes::copy_of(source);
  source[0] = 99;
  EXPECT_NE(copied.data(), source.data());
  EXPECT_EQ(copied, SharedBytes(Bytes{5, 6, 7}));
  EXPECT_FALSE(copied.shares_with(SharedBytes(Bytes{5, 6, 7})));
  EXPECT_NE(copied, SharedBytes(Bytes{5, 6}));
}

TEST(SharedBytes, join_grows_over_the_next_slice_of_the_same_buffer_only) {
  const SharedBytes whole(Bytes{1, 2, 3, 4, 5, 6});
  SharedBytes joined = whole.slice(0, 2);
  EXPECT_TRUE(joined.join(whole.slice(2, 3)));
  EXPECT_EQ(joined.data(), whole.data());
  EXPECT_EQ(joined, SharedBytes(Bytes{1, 2, 3, 4, 5}));
  EXPECT_TRUE(joined.join(SharedBytes())) << "nothing to add";
  EXPECT_FALSE(joined.join(whole.slice(4, 2))) << "overlapping";
  EXPECT_FALSE(joined.join(SharedBytes(Bytes{6}))) << "another buffer";
  SharedBytes gap = whole.slice(0, 1);
  EXPECT_FALSE(gap.join(whole.slice(2, 1))) << "not adjacent";
  EXPECT_EQ(gap.size(), 1u) << "unchanged when refused";
  SharedBytes empty;
  EXPECT_FALSE(empty.join(whole)) << "an empty one has no buffer to grow in";
}

}  // namespace
}  // namespace hamirror::io
