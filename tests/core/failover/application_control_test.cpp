// ApplicationControl in the simulator: start_prim / stop_prim as scripted programs
// (sim::SimProcesses), services as sim::SimServices, virtual time throughout.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/failover/application_control.h"
#include "failover_world.h"

namespace hamirror::core::testing {
namespace {

constexpr std::uint64_t kSeed = 11;

bool has_env(const io::ProcessSpec& spec, const std::string& name, const std::string& value) {
  return std::find(spec.env.begin(), spec.env.end(), std::make_pair(name, value)) != spec.env.end();
}

// Index of the first module-log line containing `fragment`, or -1.
long log_index(const FailoverWorld& world, const std::string& fragment) {
  const auto& lines = world.module_log();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find(fragment) != std::string::npos) return static_cast<long>(i);
  }
  return -1;
}

TEST(ApplicationControl, start_runs_start_prim_with_safekit_and_hamirror_variables_and_logs_its_output) {
  FailoverWorld world(kSeed);
  ApplicationControl app(world.io(), world.app_config(), world.app_listener());
  Captured<ApplicationResult> started;
  app.start("becoming primary", started.callback(world));
  EXPECT_FALSE(started.done()) << "never completes inside the call";
  ASSERT_TRUE(world.run_until([&] { return started.done(); }));

  ASSERT_TRUE(started.value->ok()) << started.value->reason;
  EXPECT_EQ(started.at_ns, ms(500)) << "completes when start_prim exits";
  const io::ProcessSpec& spec = world.last_spec("start_prim");
  EXPECT_EQ(spec.program, kStartPrim);
  EXPECT_TRUE(spec.args.empty());
  EXPECT_EQ(spec.timeout_ms, 60'000);
  EXPECT_TRUE(has_env(spec, "SAFE", "/opt/hamirror/"));
  EXPECT_TRUE(has_env(spec, "HAMIRROR_HOME", "/opt/hamirror/"));
  EXPECT_TRUE(has_env(spec, "SAFEBIN", "/opt/hamirror/bin"));
  EXPECT_TRUE(has_env(spec, "SAFEVAR", "/var/lib/hamirror"));
  EXPECT_TRUE(has_env(spec, "SAFEMODULE", "mirror"));
  EXPECT_TRUE(has_env(spec, "HAMIRROR_MODULE", "mirror"));
  EXPECT_TRUE(has_env(spec, "SAFEUSERBIN", "/opt/hamirror/modules/mirror/bin"));
  EXPECT_TRUE(has_env(spec, "HAMIRROR_NODE_NAME", "alpha"));
  EXPECT_TRUE(has_env(spec, "HAMIRROR_PEER", "beta"));
  EXPECT_TRUE(has_env(spec, "HAMIRROR_ACTION", "start_prim"));
  EXPECT_TRUE(has_env(spec, "HAMIRROR_REASON", "becoming primary"));
  EXPECT_TRUE(has_env(spec, "APP_DB", "/data/db"));
  const auto& app_log = world.application_log();
  EXPECT_NE(std::find(app_log.begin(), app_log.end(), "start_prim: Running start_prim"), app_log.end());
  EXPECT_NE(std::find(app_log.begin(), app_log.end(), "start_prim: starting appd"), app_log.end());
  EXPECT_TRUE(world.logged("start_prim exited 0"));
  EXPECT_TRUE(app.idle());
}

TEST(ApplicationControl, a_failing_start_prim_is_reported_with_its_exit_code) {
  FailoverWorld world(kSeed);
  world.app_behaviour().start_exit_code = 3;
  ApplicationControl app(world.io(), world.app_config(), world.app_listener());
  Captured<ApplicationResult> started;
  app.start("becoming primary", started.callback(world));
  ASSERT_TRUE(world.run_until([&] { return started.done(); }));
  EXPECT_EQ(started.value->error, io::Error::unknown);
  EXPECT_NE(started.value->reason.find("start_prim exited with code 3"), std::string::npos) << started.value->reason;
}

TEST(ApplicationControl, a_stop_that_ends_within_nicestoptimeout_needs_no_force) {
  FailoverWorld world(kSeed);
  ApplicationControl app(world.io(), world.app_config(), world.app_listener());
  Captured<ApplicationResult> stopped;
  app.stop(ApplicationControl::StopMode::graceful, "swap", stopped.callback(world));
  ASSERT_TRUE(world.run_until([&] { return stopped.done(); }));
  ASSERT_TRUE(stopped.value->ok()) << stopped.value->reason;
  EXPECT_FALSE(stopped.value->forced);
  EXPECT_EQ(stopped.at_ns, ms(300));
  EXPECT_EQ(world.count("stop_prim run"), 1U);
  EXPECT_EQ(world.count("stop_prim force run"), 0U);
  EXPECT_TRUE(has_env(world.last_spec("stop_prim"), "HAMIRROR_STOP_MODE", "nice"));
}

TEST(ApplicationControl, stop_prim_escalates_to_force_after_nicestoptimeout) {
  FailoverWorld world(kSeed);
  world.app_behaviour().nice_stop_duration_ns = s(60);  // hangs well past nicestoptimeout (5 s)
  world.app_behaviour().force_stop_duration_ns = s(1);
  ApplicationControl app(world.io(), world.app_config(), world.app_listener());
  world.run_for(s(1));
  const std::int64_t t0 = world.now_ns();
  Captured<ApplicationResult> stopped;
  app.stop(ApplicationControl::StopMode::graceful, "admin stop", stopped.callback(world));
  ASSERT_TRUE(world.run_until([&] { return stopped.done(); }));

  EXPECT_EQ(world.first("stop_prim run"), t0) << "the plain pass first";
  EXPECT_EQ(world.first("stop_prim force run"), t0 + s(5)) << "force exactly when nicestoptimeout expires";
  EXPECT_EQ(stopped.at_ns, t0 + s(6)) << "done when stop_prim force exits";
  ASSERT_TRUE(stopped.value->ok()) << stopped.value->reason;
  EXPECT_TRUE(stopped.value->forced);
  EXPECT_NE(stopped.value->reason.find("stop_prim timed out after 5000 ms"), std::string::npos) << stopped.value->reason;
  const io::ProcessSpec& force = world.last_spec("stop_prim");
  EXPECT_EQ(force.args, std::vector<std::string>{"force"}) << "SafeKit's convention: force as the first argument";
  EXPECT_EQ(force.timeout_ms, 5'000) << "forcestoptimeout";
  EXPECT_TRUE(has_env(force, "HAMIRROR_STOP_MODE", "force"));
  EXPECT_TRUE(has_env(force, "HAMIRROR_ACTION", "stop_prim"));
  const auto& app_log = world.application_log();
  EXPECT_NE(std::find(app_log.begin(), app_log.end(), "stop_prim force: Running stop_prim force"), app_log.end());
}

TEST(ApplicationControl, a_plain_stop_that_reports_failure_also_escalates_to_force) {
  FailoverWorld world(kSeed);
  world.app_behaviour().nice_stop_exit_code = 1;
  ApplicationControl app(world.io(), world.app_config(), world.app_listener());
  Captured<ApplicationResult> stopped;
  app.stop(ApplicationControl::StopMode::graceful, "swap", stopped.callback(world));
  ASSERT_TRUE(world.run_until([&] { return stopped.done(); }));
  EXPECT_EQ(world.first("stop_prim force run"), ms(300));
  EXPECT_TRUE(stopped.value->ok()) << "the force pass succeeded: " << stopped.value->reason;
  EXPECT_TRUE(stopped.value->forced);
}

TEST(ApplicationControl, a_force_stop_waits_for_the_start_prim_in_flight_and_cancels_the_rest_of_the_start) {
  FailoverWorld world(kSeed);
  world.app_behaviour().start_duration_ns = s(10);
  ApplicationConfig config = world.app_config();
  config.services = {"appsvc"};
  world.node().services().add_service("appsvc", {.start_duration_ns = s(1), .stop_duration_ns = s(1)});
  ApplicationControl app(world.io(), config, world.app_listener());
  Captured<ApplicationResult> started;
  Captured<ApplicationResult> stopped;
  app.start("becoming primary", started.callback(world));
  world.run_for(s(2));
  app.stop(ApplicationControl::StopMode::force, "lease lost", stopped.callback(world));
  ASSERT_TRUE(world.run_until([&] { return stopped.done(); }));

  EXPECT_EQ(started.value->error, io::Error::cancelled) << started.value->reason;
  EXPECT_EQ(started.at_ns, s(10)) << "the start ends after its current step, start_prim";
  EXPECT_EQ(world.first("stop_prim force run"), s(10)) << "never beside start_prim: it could restart the application";
  EXPECT_EQ(world.count("stop_prim run"), 0U) << "fencing skips the plain pass";
  EXPECT_EQ(world.node().services().state("appsvc"), io::ServiceState::stopped) << "the service was never started";
  EXPECT_TRUE(stopped.value->ok()) << stopped.value->reason;
  EXPECT_EQ(world.app_instances(), 0U);
}

TEST(ApplicationControl, a_force_stop_escalates_a_graceful_stop_at_once_and_a_later_start_waits_for_the_abandoned_plain_stop) {
  FailoverWorld world(kSeed);
  world.app_behaviour().nice_stop_duration_ns = s(60);  // killed at nicestoptimeout, 5 s
  ApplicationControl app(world.io(), world.app_config(), world.app_listener());
  Captured<ApplicationResult> graceful;
  Captured<ApplicationResult> forced;
  Captured<ApplicationResult> restarted;
  app.stop(ApplicationControl::StopMode::graceful, "swap", graceful.callback(world));
  world.run_for(s(1));
  app.stop(ApplicationControl::StopMode::force, "lease lost", forced.callback(world));
  ASSERT_TRUE(world.run_until([&] { return forced.done(); }));
  EXPECT_EQ(world.first("stop_prim force run"), s(1)) << "escalated at once, not after nicestoptimeout";
  EXPECT_EQ(forced.at_ns, s(1) + ms(100));
  EXPECT_EQ(graceful.at_ns, forced.at_ns) << "both callers hear the escalated stop";
  EXPECT_TRUE(graceful.value->forced);

  world.run_for(s(1));
  app.start("taking the role back", restarted.callback(world));
  ASSERT_TRUE(world.run_until([&] { return restarted.done(); }));
  EXPECT_EQ(world.first("start_prim run"), s(5)) << "after the abandoned plain stop_prim was killed at its timeout";
  EXPECT_TRUE(world.logged("late result of an abandoned step: stop_prim timed out"));
  EXPECT_TRUE(restarted.value->ok()) << restarted.value->reason;
}

TEST(ApplicationControl, services_start_after_start_prim_and_stop_in_reverse_before_stop_prim) {
  FailoverWorld world(kSeed);
  ApplicationConfig config = world.app_config();
  config.services = {"db", "web"};
  world.node().services().add_service("db", {.start_duration_ns = s(2), .stop_duration_ns = s(1)});
  world.node().services().add_service("web", {.start_duration_ns = s(1), .stop_duration_ns = s(1)});
  ApplicationControl app(world.io(), config, world.app_listener());
  Captured<ApplicationResult> started;
  app.start("becoming primary", started.callback(world));
  ASSERT_TRUE(world.run_until([&] { return started.done(); }));
  ASSERT_TRUE(started.value->ok()) << started.value->reason;
  EXPECT_EQ(started.at_ns, ms(500) + s(2) + s(1));
  EXPECT_EQ(world.node().services().state("db"), io::ServiceState::running);
  EXPECT_EQ(world.node().services().state("web"), io::ServiceState::running);
  EXPECT_LT(log_index(world, "start_prim exited 0"), log_index(world, "service db started"));
  EXPECT_LT(log_index(world, "service db started"), log_index(world, "service web started"));

  Captured<ApplicationResult> stopped;
  app.stop(ApplicationControl::StopMode::graceful, "swap", stopped.callback(world));
  ASSERT_TRUE(world.run_until([&] { return stopped.done(); }));
  ASSERT_TRUE(stopped.value->ok()) << stopped.value->reason;
  EXPECT_EQ(world.node().services().state("db"), io::ServiceState::stopped);
  EXPECT_LT(log_index(world, "service web stopped"), log_index(world, "service db stopped"));
  EXPECT_LT(log_index(world, "service db stopped"), log_index(world, "running stop_prim"));
}

TEST(ApplicationControl, a_service_that_cannot_be_stopped_gets_the_force_pass_and_the_failure_is_reported) {
  FailoverWorld world(kSeed);
  ApplicationConfig config = world.app_config();
  config.services = {"db"};
  world.node().services().add_service("db", {.stop_error = io::Error::permission_denied,
                                             .initial = io::ServiceState::running});
  ApplicationControl app(world.io(), config, world.app_listener());
  Captured<ApplicationResult> stopped;
  app.stop(ApplicationControl::StopMode::graceful, "swap", stopped.callback(world));
  ASSERT_TRUE(world.run_until([&] { return stopped.done(); }));
  EXPECT_EQ(world.count("stop_prim run"), 0U) << "the plain pass ends at its first failure";
  EXPECT_EQ(world.count("stop_prim force run"), 1U);
  EXPECT_EQ(stopped.value->error, io::Error::permission_denied) << stopped.value->reason;
  EXPECT_TRUE(stopped.value->forced);
}

}  // namespace
}  // namespace hamirror::core::testing
