// How many simulated events per second the scheduler runs: the ceiling on how fast
// any simulation can go.
#include <benchmark/benchmark.h>

#include "io/random.h"
#include "sim/scheduler.h"
#include "sim/sim_clock.h"

namespace hamirror::sim {
namespace {

// Keeps `in_flight` events pending at random future times; each event schedules the
// next one, as timers and message deliveries do in a real run.
void BM_SchedulerEvents(benchmark::State& state) {
  const auto in_flight = static_cast<int>(state.range(0));
  Trace trace;
  Scheduler scheduler(trace);
  io::Prng prng(1);
  std::function<void()> reschedule = [&] { scheduler.after(static_cast<std::int64_t>(prng.below(1'000'000)), reschedule); };
  for (int i = 0; i < in_flight; ++i) scheduler.after(static_cast<std::int64_t>(prng.below(1'000'000)), reschedule);
  for (auto _ : state) scheduler.step();
  state.SetItemsProcessed(state.iterations());
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SchedulerEvents)->Arg(16)->Arg(1024)->Arg(65536);

// Timers through the io::Clock interface: start, fire, restart.
void BM_SimTimerRearm(benchmark::State& state) {
  Trace trace;
  Scheduler scheduler(trace);
  SimClock clock(scheduler);
  auto timer = clock.make_timer();
  std::int64_t fired = 0;
  timer->start(1000, 1000, [&] { ++fired; });
  for (auto _ : state) scheduler.step();
  benchmark::DoNotOptimize(fired);
  state.counters["timer_fires_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimTimerRearm);

}  // namespace
}  // namespace hamirror::sim
