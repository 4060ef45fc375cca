#include "core/replication/generation.h"

#include <gtest/gtest.h>

#include "core/canary.h"

namespace hamirror::core {
namespace {

// The core these tests (and the daemon) link carries no canary: each planted branch is
// `if (false)` at compile time (core/canary.h).
static_assert(!canary_planted(ProtocolCanary::promote_stale_node));

GenerationInfo synced(std::uint64_t id) { return GenerationInfo{.current = id, .history = {7, 5}}; }

TEST(Generation, the_same_id_is_the_same_data) {
  EXPECT_EQ(compare(synced(10), synced(10)), DataRelation::same);
}

TEST(Generation, the_side_that_went_on_alone_is_newer) {
  io::Prng random(1);
  const GenerationInfo stayed = synced(10);
  const GenerationInfo went_alone = start_new_generation(synced(10), random);
  EXPECT_NE(went_alone.current, 10u);
  EXPECT_EQ(went_alone.history.front(), 10u);
  EXPECT_EQ(compare(went_alone, stayed), DataRelation::local_newer);
  EXPECT_EQ(compare(stayed, went_alone), DataRelation::peer_newer);
  // Alone twice in a row (a restart while alone) is still newer.
  const GenerationInfo twice = start_new_generation(went_alone, random);
  EXPECT_EQ(compare(stayed, twice), DataRelation::peer_newer);
}

TEST(Generation, both_sides_alone_from_a_common_past_is_a_divergence) {
  io::Prng random(2);
  const GenerationInfo left = start_new_generation(synced(10), random);
  const GenerationInfo right = start_new_generation(synced(10), random);
  EXPECT_EQ(compare(left, right), DataRelation::diverged);
  EXPECT_EQ(compare(right, left), DataRelation::diverged);
}

// What a primary that went on alone records (Node::start_alone_generation).
GenerationInfo went_alone(std::uint64_t from, io::Prng& random, bool acknowledged) {
  GenerationInfo info = start_new_generation(synced(from), random);
  info.last_role = LastRole::primary;
  info.acknowledged_alone = acknowledged;
  return info;
}

// Seed 55793: the side that acknowledged nothing alone holds its parent's data (plus
// what its marks cover); only the other side told writers their data is stored.
TEST(Generation, a_side_that_went_on_alone_and_acknowledged_nothing_counts_as_its_parent) {
  io::Prng random(3);
  const GenerationInfo fenced = went_alone(10, random, false);
  const GenerationInfo served = went_alone(10, random, true);
  EXPECT_TRUE(is_unacknowledged_alone(fenced));
  EXPECT_FALSE(is_unacknowledged_alone(served));
  EXPECT_EQ(compare(fenced, served), DataRelation::peer_newer);
  EXPECT_EQ(compare(served, fenced), DataRelation::local_newer);
  // Neither acknowledged anything: both are the parent, plus their marks.
  EXPECT_EQ(compare(fenced, went_alone(10, random, false)), DataRelation::same);
  // Both did: a split brain, as before.
  EXPECT_EQ(compare(served, went_alone(10, random, true)), DataRelation::diverged);
}

TEST(Generation, only_a_divergence_is_reconsidered) {
  io::Prng random(4);
  const GenerationInfo fenced = went_alone(10, random, false);
  // Against the parent itself the ids already answer: newer, not the same.
  EXPECT_EQ(compare(fenced, synced(10)), DataRelation::local_newer);
  // A generation the peer held (paired), or one never started as primary, is not one.
  GenerationInfo paired = fenced;
  paired.paired = true;
  EXPECT_FALSE(is_unacknowledged_alone(paired));
  EXPECT_EQ(compare(paired, went_alone(10, random, true)), DataRelation::diverged);
  GenerationInfo first_start = start_new_generation(GenerationInfo{}, random);
  first_start.last_role = LastRole::primary;
  EXPECT_FALSE(is_unacknowledged_alone(first_start));
}

TEST(Generation, a_wiped_or_new_node_is_unrelated) {
  EXPECT_EQ(compare(GenerationInfo{}, synced(10)), DataRelation::unrelated);
  EXPECT_EQ(compare(GenerationInfo{.current = 99, .history = {98}}, synced(10)), DataRelation::unrelated);
}

TEST(Generation, history_is_bounded_and_ids_are_never_zero_or_reused) {
  io::Prng random(3);
  GenerationInfo info = synced(10);
  for (int i = 0; i < 100; ++i) {
    const GenerationInfo next = start_new_generation(info, random);
    ASSERT_NE(next.current, 0u);
    ASSERT_NE(next.current, info.current);
    ASSERT_LE(next.history.size(), kMaxGenerationHistory);
    info = next;
  }
}

TEST(Generation, only_a_consistent_up_to_date_node_with_data_promotes_itself) {
  EXPECT_TRUE(may_promote_itself(synced(10)));
  EXPECT_FALSE(may_promote_itself(GenerationInfo{}));
  GenerationInfo mid_resync = synced(10);
  mid_resync.consistent = false;
  EXPECT_NE(why_not_promotable(mid_resync).find("inconsistent"), std::string::npos);
  GenerationInfo outdated = synced(10);
  outdated.outdated = true;
  EXPECT_NE(why_not_promotable(outdated).find("outdated"), std::string::npos);
}

TEST(Generation, the_record_round_trips_through_its_wire_form) {
  GenerationInfo info{.current = 42, .history = {41, 40}, .consistent = false, .outdated = true, .changes_alone = 9,
                      .last_role = LastRole::primary};
  const auto decoded = wire::decode_body<GenerationInfo>(wire::encode_body(info));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), info);
}

}  // namespace
}  // namespace hamirror::core
