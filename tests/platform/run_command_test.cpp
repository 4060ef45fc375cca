#include "platform/posix/run_command.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace hamirror::platform::posix {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

TEST(RunCommand, captures_stdout_and_stderr_and_the_exit_code) {
  auto run = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"}, 5000);
  ASSERT_TRUE(run.ok()) << io::error_name(run.error());
  EXPECT_EQ(run->exit_code, 3);
  EXPECT_FALSE(run->timed_out);
  EXPECT_EQ(run->output, "out\nerr\n");
  EXPECT_EQ(describe(*run), "exit 3: out");
}

TEST(RunCommand, runs_with_lc_all_c) {
  auto run = run_command({"sh", "-c", "printf %s \"$LC_ALL\""}, 5000);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->output, "C");
}

TEST(RunCommand, kills_the_program_and_its_children_at_the_timeout) {
  const auto start = Clock::now();
  auto run = run_command({"sh", "-c", "sleep 30 & sleep 30"}, 200);
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->timed_out);
  EXPECT_LT(elapsed_ms(start), 5000);
}

TEST(RunCommand, returns_when_the_program_exits_even_if_a_child_keeps_the_output_open) {
  const auto start = Clock::now();
  auto run = run_command({"sh", "-c", "sleep 3 & echo started"}, 10'000);
  ASSERT_TRUE(run.ok());
  EXPECT_FALSE(run->timed_out);
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_EQ(run->output, "started\n");
  EXPECT_LT(elapsed_ms(start), 2000);
}

TEST(RunCommand, bounds_the_captured_output) {
  auto run = run_command({"sh", "-c", "head -c 300000 /dev/zero"}, 10'000);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->exit_code, 0);
  EXPECT_EQ(run->output.size(), kMaxCommandOutputBytes);
}

TEST(RunCommand, a_missing_program_is_not_found) {
  EXPECT_EQ(run_command({"hamirror-no-such-program"}, 1000).error(), io::Error::not_found);
  EXPECT_EQ(find_program("hamirror-no-such-program"), "");
  EXPECT_FALSE(find_program("sh").empty());
}

}  // namespace
}  // namespace hamirror::platform::posix
