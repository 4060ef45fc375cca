#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "io/clock.h"
#include "sim/sim_process.h"

namespace hamirror::sim {
namespace {

using io::kNsPerMs;
using io::ServiceState;

struct World {
  Trace trace;
  Scheduler scheduler{trace};
  SimServices services{scheduler, "node-a"};
};

SimServiceConfig slow_service() {
  SimServiceConfig config;
  config.start_duration_ns = 300 * kNsPerMs;
  config.stop_duration_ns = 100 * kNsPerMs;
  return config;
}

TEST(SimServices, start_passes_through_starting_and_completes_when_running) {
  World world;
  world.services.add_service("db", slow_service());
  std::optional<io::Error> result;
  std::int64_t done_at = -1;
  world.services.start("db", 5000, [&](io::Error error) {
    result = error;
    done_at = world.scheduler.now_ns();
  });
  EXPECT_FALSE(result.has_value()) << "completed inside start()";
  EXPECT_EQ(world.services.state("db"), ServiceState::starting);
  world.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(result, io::Error::ok);
  EXPECT_EQ(done_at, 300 * kNsPerMs);
  EXPECT_EQ(world.services.state("db"), ServiceState::running);

  std::optional<io::Result<ServiceState>> queried;
  world.services.query("db", [&](io::Result<ServiceState> state) { queried = state; });
  world.scheduler.run_for(1);
  ASSERT_TRUE(queried.has_value());
  EXPECT_EQ(queried->value(), ServiceState::running);
}

TEST(SimServices, unknown_service_is_not_found_for_every_call) {
  World world;
  std::vector<io::Error> errors;
  world.services.start("nope", 1000, [&](io::Error error) { errors.push_back(error); });
  world.services.stop("nope", 1000, [&](io::Error error) { errors.push_back(error); });
  world.services.query("nope", [&](io::Result<ServiceState> state) { errors.push_back(state.error()); });
  world.scheduler.run_for(1);
  EXPECT_EQ(errors, (std::vector<io::Error>{io::Error::not_found, io::Error::not_found, io::Error::not_found}));
}

TEST(SimServices, injected_start_failure_reports_the_error_and_leaves_it_stopped) {
  World world;
  world.services.add_service("db", slow_service());
  world.services.set_start_error("db", io::Error::permission_denied);
  std::optional<io::Error> result;
  world.services.start("db", 5000, [&](io::Error error) { result = error; });
  world.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(result, io::Error::permission_denied);
  EXPECT_EQ(world.services.state("db"), ServiceState::stopped);
}

TEST(SimServices, caller_gives_up_at_its_timeout_while_the_service_still_starts) {
  World world;
  world.services.add_service("db", slow_service());
  std::optional<io::Error> result;
  std::int64_t done_at = -1;
  world.services.start("db", 100, [&](io::Error error) {
    result = error;
    done_at = world.scheduler.now_ns();
  });
  world.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(result, io::Error::timed_out);
  EXPECT_EQ(done_at, 100 * kNsPerMs);
  EXPECT_EQ(world.services.state("db"), ServiceState::running);
}

TEST(SimServices, stop_during_start_is_busy_and_a_second_start_joins_the_first) {
  World world;
  world.services.add_service("db", slow_service());
  std::vector<std::string> events;
  world.services.start("db", 5000, [&](io::Error e) { events.push_back("start1 " + std::string(io::error_name(e))); });
  world.scheduler.run_for(50 * kNsPerMs);
  world.services.stop("db", 5000, [&](io::Error e) { events.push_back("stop " + std::string(io::error_name(e))); });
  world.services.start("db", 5000, [&](io::Error e) { events.push_back("start2 " + std::string(io::error_name(e))); });
  world.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(events, (std::vector<std::string>{"stop busy", "start1 ok", "start2 ok"}));
}

TEST(SimServices, stop_takes_its_duration_and_stopping_a_stopped_service_is_ok) {
  World world;
  SimServiceConfig config = slow_service();
  config.initial = ServiceState::running;
  world.services.add_service("web", config);
  std::vector<std::int64_t> done_at;
  world.services.stop("web", 5000, [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    done_at.push_back(world.scheduler.now_ns());
  });
  world.scheduler.run_for(io::kNsPerS);
  world.services.stop("web", 5000, [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    done_at.push_back(world.scheduler.now_ns());
  });
  world.scheduler.run_for(1);
  EXPECT_EQ(done_at, (std::vector<std::int64_t>{100 * kNsPerMs, io::kNsPerS}));
  EXPECT_EQ(world.services.state("web"), ServiceState::stopped);
}

TEST(SimServices, crash_during_start_fails_the_waiting_start) {
  World world;
  world.services.add_service("db", slow_service());
  std::optional<io::Error> result;
  world.services.start("db", 5000, [&](io::Error error) { result = error; });
  world.scheduler.run_for(50 * kNsPerMs);
  world.services.crash("db");
  EXPECT_FALSE(result.has_value()) << "completed inside crash()";
  world.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(result, io::Error::unknown);
  EXPECT_EQ(world.services.state("db"), ServiceState::stopped);
}

TEST(SimServices, transitions_are_recorded_in_the_trace) {
  World world;
  world.services.add_service("db", slow_service());
  world.services.start("db", 5000, [](io::Error) {});
  world.scheduler.run_for(io::kNsPerS);
  std::string all;
  for (const std::string& line : world.trace.recent_lines()) all += line + "\n";
  EXPECT_NE(all.find("node-a/services: db starting"), std::string::npos) << all;
  EXPECT_NE(all.find("node-a/services: db running"), std::string::npos) << all;
}

}  // namespace
}  // namespace hamirror::sim
