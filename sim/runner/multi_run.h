// Many seeds at once: each seed runs whole on one thread (single-threaded and
// deterministic, sharing nothing with the others), threads take the next seed when
// done. Results come back in completion order through a callback run under a lock.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "sim/runner/run.h"

namespace hamirror::sim::runner {

struct MultiRunOptions {
  std::uint64_t first_seed = 1;
  std::uint64_t last_seed = 1;  // inclusive
  unsigned threads = 1;
  RunOptions base;               // its seed is replaced by each seed
  bool check_determinism = false;  // run each seed twice; a different hash is a violation
  bool stop_at_first_violation = false;
  // Seeds not run: open findings (README) the sweep must not hide the rest behind.
  std::vector<std::uint64_t> skip;
  std::function<void(const RunResult&)> on_result;  // optional
  // Optional: a thread (0 .. threads-1) begins a seed. Lets a tool say which seeds were
  // running when an assertion in the core stopped the process.
  std::function<void(unsigned thread, std::uint64_t seed)> on_start;
};

struct MultiRunSummary {
  std::uint64_t seeds_run = 0;
  RunStats stats;
  std::vector<RunResult> failures;  // in seed order
  double wall_s = 0;
};

MultiRunSummary run_seeds(const MultiRunOptions& options);

// Runs one seed and measures its wall time; with check_determinism runs it again and
// turns a different trace hash into a "determinism" violation.
RunResult run_one(const RunOptions& options, bool check_determinism);

}  // namespace hamirror::sim::runner
