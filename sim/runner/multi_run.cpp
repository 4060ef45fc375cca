#include "sim/runner/multi_run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <mutex>
#include <thread>

#include "io/assert.h"

namespace hamirror::sim::runner {

RunResult run_one(const RunOptions& options, bool check_determinism) {
  const auto started = std::chrono::steady_clock::now();
  auto result = run_seed(options);
  HM_ASSERT(result.has_value());
  if (check_determinism && !result->violation) {
    RunOptions quiet = options;
    quiet.echo_trace = false;
    const auto again = run_seed(quiet);
    if (again->trace_hash != result->trace_hash || again->violation.has_value()) {
      char detail[160];
      std::snprintf(detail, sizeof detail, "the same seed gave trace %016" PRIx64 " then %016" PRIx64, result->trace_hash,
                    again->trace_hash);
      result->violation = Violation{"determinism", detail, result->stats.simulated_ns};
    }
  }
  result->wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return *result;
}

MultiRunSummary run_seeds(const MultiRunOptions& options) {
  HM_ASSERT(options.first_seed <= options.last_seed);
  const auto started = std::chrono::steady_clock::now();
  MultiRunSummary summary;
  std::mutex lock;
  std::atomic<std::uint64_t> next{options.first_seed};
  std::atomic<bool> stop{false};
  auto worker = [&](unsigned thread) {
    for (;;) {
      if (stop.load()) return;
      const std::uint64_t seed = next.fetch_add(1);
      if (seed > options.last_seed || seed < options.first_seed) return;  // done (or wrapped)
      if (std::find(options.skip.begin(), options.skip.end(), seed) != options.skip.end()) continue;
      RunOptions run = options.base;
      run.seed = seed;
      if (options.on_start) options.on_start(thread, seed);
      RunResult result = run_one(run, options.check_determinism);
      const std::lock_guard<std::mutex> guard(lock);
      ++summary.seeds_run;
      summary.stats.add(result.stats);
      if (result.violation) {
        if (options.stop_at_first_violation) stop = true;
        summary.failures.push_back(result);
      }
      if (options.on_result) options.on_result(result);
    }
  };
  const unsigned threads = std::max(1u, options.threads);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker, t);
  worker(0);
  for (auto& thread : pool) thread.join();
  std::sort(summary.failures.begin(), summary.failures.end(),
            [](const RunResult& a, const RunResult& b) { return a.seed < b.seed; });
  summary.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace hamirror::sim::runner
