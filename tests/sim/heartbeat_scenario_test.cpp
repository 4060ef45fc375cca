#include "sim/scenarios/heartbeat_scenario.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hamirror::sim {
namespace {

HeartbeatScenarioResult run_seed(std::uint64_t seed, std::vector<std::string>* story = nullptr) {
  HeartbeatScenarioOptions options;
  options.seed = seed;
  if (story != nullptr) options.narrate = [story](const std::string& line) { story->push_back(line); };
  std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  return run_heartbeat_scenario(options);
}

TEST(HeartbeatScenario, the_same_seed_gives_the_same_trace_hash_twice_in_a_row) {
  std::vector<std::string> first_story, second_story;
  const auto first = run_seed(7, &first_story);
  const auto second = run_seed(7, &second_story);
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first.events_run, second.events_run);
  EXPECT_EQ(first_story, second_story);
}

TEST(HeartbeatScenario, different_seeds_give_different_trace_hashes) {
  EXPECT_NE(run_seed(1).trace_hash, run_seed(2).trace_hash);
  EXPECT_NE(run_seed(2).trace_hash, run_seed(3).trace_hash);
}

TEST(HeartbeatScenario, the_peer_is_declared_down_only_once_every_network_is_cut) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::vector<std::string> story;
    const auto result = run_seed(seed, &story);
    // Both nodes: down once (after the second cut), up twice (start and heal).
    EXPECT_EQ(result.peer_down_reports, 2) << "seed " << seed;
    EXPECT_EQ(result.peer_up_reports, 4) << "seed " << seed;
    EXPECT_TRUE(result.state_files_survived_crash) << "seed " << seed;
    for (const auto& line : story) {
      if (line.find("peer is DOWN") == std::string::npos) continue;
      // The second cut comes at 20 s; pulse 0.5 s, timeout 3 s. The last heartbeat
      // heard left at 19.5 s at the earliest (if the one at 20 s was lost), so the
      // silence is declared no sooner than 22.5 s, and the pulse that notices it
      // comes no later than 23.5 s.
      EXPECT_GE(std::stod(line), 22.5) << "seed " << seed << ": " << line;
      EXPECT_LE(std::stod(line), 23.5) << "seed " << seed << ": " << line;
    }
  }
}

}  // namespace
}  // namespace hamirror::sim
