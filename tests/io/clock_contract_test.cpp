#include <string>
#include <vector>

#include "tests/io/backend_harness.h"

namespace hamirror::test {
namespace {

using ClockContract = ContractTest;

TEST_P(ClockContract, timers_fire_in_deadline_order) {
  std::vector<std::string> fired;
  auto late = a().clock.make_timer();
  auto early = a().clock.make_timer();
  late->start(40 * io::kNsPerMs, 0, [&] { fired.push_back("late"); });
  early->start(10 * io::kNsPerMs, 0, [&] { fired.push_back("early"); });
  ASSERT_TRUE(run_until([&] { return fired.size() == 2; }));
  EXPECT_EQ(fired, (std::vector<std::string>{"early", "late"}));
}

TEST_P(ClockContract, timers_due_together_fire_in_start_order) {
  std::vector<int> fired;
  std::vector<std::unique_ptr<io::Timer>> timers;
  for (int i = 0; i < 5; ++i) {
    timers.push_back(a().clock.make_timer());
    timers.back()->start(5 * io::kNsPerMs, 0, [&fired, i] { fired.push_back(i); });
  }
  ASSERT_TRUE(run_until([&] { return fired.size() == 5; }));
  EXPECT_EQ(fired, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_P(ClockContract, a_timer_never_fires_early_nor_inside_start) {
  bool fired = false;
  std::int64_t fired_at_ns = 0;
  auto timer = a().clock.make_timer();
  const std::int64_t started_ns = a().clock.now_ns();
  timer->start(0, 0, [&] {
    fired = true;
    fired_at_ns = a().clock.now_ns();
  });
  EXPECT_FALSE(fired) << "a zero-delay timer must not run inside start()";
  ASSERT_TRUE(run_until([&] { return fired; }));
  auto second = a().clock.make_timer();
  bool second_fired = false;
  const std::int64_t second_start_ns = a().clock.now_ns();
  second->start(20 * io::kNsPerMs, 0, [&] {
    second_fired = true;
    fired_at_ns = a().clock.now_ns();
  });
  ASSERT_TRUE(run_until([&] { return second_fired; }));
  EXPECT_GE(fired_at_ns - second_start_ns, 20 * io::kNsPerMs);
  EXPECT_GE(second_start_ns, started_ns);
}

TEST_P(ClockContract, stop_and_destroy_cancel_a_pending_timer) {
  int fired = 0;
  auto stopped = a().clock.make_timer();
  stopped->start(5 * io::kNsPerMs, 0, [&] { ++fired; });
  stopped->stop();
  EXPECT_FALSE(stopped->active());
  {
    auto destroyed = a().clock.make_timer();
    destroyed->start(5 * io::kNsPerMs, 0, [&] { ++fired; });
  }
  bool sentinel = false;
  auto later = a().clock.make_timer();
  later->start(30 * io::kNsPerMs, 0, [&] { sentinel = true; });
  ASSERT_TRUE(run_until([&] { return sentinel; }));
  EXPECT_EQ(fired, 0);
}

TEST_P(ClockContract, a_repeating_timer_repeats_until_stopped_from_its_callback) {
  int fired = 0;
  auto timer = a().clock.make_timer();
  timer->start(2 * io::kNsPerMs, 2 * io::kNsPerMs, [&] {
    if (++fired == 3) timer->stop();
  });
  ASSERT_TRUE(run_until([&] { return fired == 3; }));
  harness().run_for(20);
  EXPECT_EQ(fired, 3);
}

TEST_P(ClockContract, a_callback_may_destroy_its_own_timer) {
  bool fired = false;
  auto timer = a().clock.make_timer();
  timer->start(1 * io::kNsPerMs, 1 * io::kNsPerMs, [&] {
    fired = true;
    timer.reset();
  });
  ASSERT_TRUE(run_until([&] { return fired; }));
  EXPECT_EQ(timer, nullptr);
}

TEST_P(ClockContract, monotonic_time_never_goes_backwards_and_wall_time_is_recent) {
  std::int64_t previous = a().clock.now_ns();
  int ticks = 0;
  auto timer = a().clock.make_timer();
  timer->start(1 * io::kNsPerMs, 1 * io::kNsPerMs, [&] {
    const std::int64_t now = a().clock.now_ns();
    EXPECT_GE(now, previous);
    previous = now;
    ++ticks;
  });
  ASSERT_TRUE(run_until([&] { return ticks >= 10; }));
  const std::int64_t year_2025_ns = 1'735'689'600LL * io::kNsPerS;
  EXPECT_GT(a().clock.wall_ns(), year_2025_ns);
}

HM_CONTRACT_SUITE(ClockContract);

}  // namespace
}  // namespace hamirror::test
