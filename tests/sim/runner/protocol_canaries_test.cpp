// The meta-test of issue #4, section 6: every bug planted in runtime/core
// (core/canary.h) is found by the runner's outside checks within kMaxSeeds seeds.
// A simulator that cannot find them proves nothing.
//
// For each canary, seeds 1, 2, ... run with the canary planted until one reports a
// violation; that seed counts only if it also runs clean without the canary (so the
// core's own open findings are never mistaken for the canary). Clean runs are cached
// across canaries. Two threads take canaries in turn; every run is deterministic, so
// the table is the same on any machine.
#include "sim/runner/run.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hamirror::sim::runner {
namespace {

constexpr std::uint64_t kMaxSeeds = 1000;  // the bound
constexpr unsigned kThreads = 2;           // CI's cores
// The CLI's default, so `hamirror-chaos --seeds 1..N --canary NAME` finds the same seed.
constexpr std::int64_t kDurationS = 60;

struct Finding {
  std::uint64_t seed = 0;  // 0: not found within kMaxSeeds
  std::string invariant;
};

class CleanRuns {
 public:
  bool clean(std::uint64_t seed) {
    {
      const std::lock_guard lock(mutex_);
      if (const auto found = clean_.find(seed); found != clean_.end()) return found->second;
    }
    const bool clean = !run_seed(RunOptions{.seed = seed, .duration_s = kDurationS})->violation;
    const std::lock_guard lock(mutex_);
    clean_[seed] = clean;
    return clean;
  }

 private:
  std::mutex mutex_;
  std::map<std::uint64_t, bool> clean_;
};

Finding find(Canary canary, CleanRuns& clean_runs) {
  for (std::uint64_t seed = 1; seed <= kMaxSeeds; ++seed) {
    const RunResult planted = *run_seed(RunOptions{.seed = seed, .duration_s = kDurationS, .canary = canary});
    if (planted.violation && clean_runs.clean(seed)) return {seed, planted.violation->invariant};
  }
  return {};
}

std::vector<Canary> protocol_canaries() {
  std::vector<Canary> canaries;
  for (const Canary canary : kCanaries) {
    if (protocol_canary_of(canary) != core::ProtocolCanary::none) canaries.push_back(canary);
  }
  return canaries;
}

TEST(ProtocolCanaries, each_planted_bug_is_found_within_1000_seeds) {
  const std::vector<Canary> canaries = protocol_canaries();
  ASSERT_EQ(canaries.size(), std::size(core::kProtocolCanaries));
  std::vector<Finding> findings(canaries.size());
  CleanRuns clean_runs;
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (std::size_t i = next++; i < canaries.size(); i = next++) findings[i] = find(canaries[i], clean_runs);
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::printf("%-36s %12s  %s\n", "canary", "seeds needed", "invariant");
  for (std::size_t i = 0; i < canaries.size(); ++i) {
    const std::string name(canary_name(canaries[i]));
    std::printf("%-36s %12s  %s\n", name.c_str(), findings[i].seed ? std::to_string(findings[i].seed).c_str() : "NOT FOUND",
                findings[i].invariant.c_str());
    EXPECT_GT(findings[i].seed, 0u) << name << " was not found within " << kMaxSeeds << " seeds";
  }
}

}  // namespace
}  // namespace hamirror::sim::runner
