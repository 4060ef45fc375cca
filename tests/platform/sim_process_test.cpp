#include "sim/sim_process.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "io/clock.h"

namespace hamirror::sim {
namespace {

using io::kNsPerMs;

struct World {
  Trace trace;
  Scheduler scheduler{trace};
};

io::ProcessSpec spec_of(const std::string& program, std::vector<std::string> args = {}, std::int64_t timeout_ms = 1000) {
  io::ProcessSpec spec;
  spec.program = program;
  spec.args = std::move(args);
  spec.timeout_ms = timeout_ms;
  return spec;
}

TEST(SimProcesses, scripted_program_completes_after_its_duration_with_its_exit_code_and_output) {
  World world;
  SimProcesses processes(world.scheduler, "node-a");
  processes.script("pg_ctl", ScriptedRun{3, 200 * kNsPerMs, "server stopped\n"});
  std::optional<io::Result<io::ProcessResult>> got;
  std::int64_t completed_at = -1;
  processes.run(spec_of("pg_ctl", {"stop"}), [&](io::Result<io::ProcessResult> result) {
    got = std::move(result);
    completed_at = world.scheduler.now_ns();
  });
  EXPECT_FALSE(got.has_value()) << "completed inside run()";
  world.scheduler.run_for(1000 * kNsPerMs);
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok());
  EXPECT_EQ(got->value().exit_code, 3);
  EXPECT_FALSE(got->value().timed_out);
  EXPECT_EQ(got->value().output, "server stopped\n");
  EXPECT_EQ(completed_at, 200 * kNsPerMs);
  EXPECT_EQ(processes.run_count("pg_ctl"), 1u);
}

TEST(SimProcesses, script_function_sees_the_spec_and_a_path_runs_the_script_of_its_basename) {
  World world;
  SimProcesses processes(world.scheduler, "node-a");
  processes.script("check.sh", [](const io::ProcessSpec& spec) {
    return ScriptedRun{spec.args.size() == 1 && spec.args[0] == "healthy" ? 0 : 1, 0, ""};
  });
  std::vector<int> codes;
  auto record = [&](io::Result<io::ProcessResult> result) { codes.push_back(result->exit_code); };
  processes.run(spec_of("/opt/app/check.sh", {"healthy"}), record);
  processes.run(spec_of("check.sh", {"sick"}), record);
  world.scheduler.run_for(1);
  EXPECT_EQ(codes, (std::vector<int>{0, 1}));
}

TEST(SimProcesses, unknown_program_completes_with_not_found) {
  World world;
  SimProcesses processes(world.scheduler, "node-a");
  std::optional<io::Error> error;
  processes.run(spec_of("no-such-program"), [&](io::Result<io::ProcessResult> result) { error = result.error(); });
  EXPECT_FALSE(error.has_value());
  world.scheduler.run_for(1);
  EXPECT_EQ(error, io::Error::not_found);
}

TEST(SimProcesses, program_outliving_its_timeout_ends_timed_out_at_the_timeout) {
  World world;
  SimProcesses processes(world.scheduler, "node-a");
  processes.script("hang", ScriptedRun{0, 60 * io::kNsPerS, "partial"});
  std::optional<io::ProcessResult> got;
  std::int64_t completed_at = -1;
  processes.run(spec_of("hang", {}, 250), [&](io::Result<io::ProcessResult> result) {
    got = result.value();
    completed_at = world.scheduler.now_ns();
  });
  world.scheduler.run_for(120 * io::kNsPerS);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->timed_out);
  EXPECT_EQ(completed_at, 250 * kNsPerMs);
}

TEST(SimProcesses, output_beyond_the_bound_is_truncated_and_flagged) {
  World world;
  SimProcesses processes(world.scheduler, "node-a");
  processes.script("chatty", ScriptedRun{0, 0, std::string(io::kMaxCapturedOutputBytes + 10, 'x')});
  std::optional<io::ProcessResult> got;
  processes.run(spec_of("chatty"), [&](io::Result<io::ProcessResult> result) { got = result.value(); });
  world.scheduler.run_for(1);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->output.size(), io::kMaxCapturedOutputBytes);
  EXPECT_TRUE(got->output_truncated);
}

TEST(SimProcesses, list_by_name_reads_the_process_table_in_pid_order) {
  World world;
  SimProcesses processes(world.scheduler, "node-a");
  const auto first = processes.start_process("postgres");
  processes.start_process("nginx");
  const auto second = processes.start_process("postgres");
  std::optional<std::vector<io::ProcessInfo>> listed;
  processes.list_by_name("postgres", [&](io::Result<std::vector<io::ProcessInfo>> result) { listed = result.value(); });
  EXPECT_FALSE(listed.has_value());
  world.scheduler.run_for(1);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(*listed, (std::vector<io::ProcessInfo>{{first, "postgres"}, {second, "postgres"}}));

  EXPECT_TRUE(processes.kill_process(first));
  EXPECT_FALSE(processes.kill_process(first));
  processes.list_by_name("postgres", [&](io::Result<std::vector<io::ProcessInfo>> result) { listed = result.value(); });
  world.scheduler.run_for(1);
  EXPECT_EQ(*listed, (std::vector<io::ProcessInfo>{{second, "postgres"}}));
  EXPECT_EQ(processes.kill_by_name("postgres"), 1u);
  EXPECT_FALSE(processes.running(second));
}

TEST(SimProcesses, windows_names_match_without_case_and_with_optional_exe) {
  World world;
  SimProcesses processes(world.scheduler, "node-w", SimProcessesOptions{.windows_names = true});
  const auto pid = processes.start_process("SQLServr.exe");
  std::vector<std::size_t> counts;
  for (const char* name : {"sqlservr", "SQLSERVR.EXE", "sqlservr.exe", "sqlserv"}) {
    processes.list_by_name(name, [&](io::Result<std::vector<io::ProcessInfo>> result) {
      counts.push_back(result->size());
    });
  }
  world.scheduler.run_for(1);
  EXPECT_EQ(counts, (std::vector<std::size_t>{1, 1, 1, 0}));
  EXPECT_TRUE(processes.running(pid));
}

TEST(SimProcesses, destroying_it_cancels_pending_completions) {
  World world;
  bool called = false;
  {
    SimProcesses processes(world.scheduler, "node-a");
    processes.script("slow", ScriptedRun{0, 10 * kNsPerMs, ""});
    processes.run(spec_of("slow"), [&](io::Result<io::ProcessResult>) { called = true; });
  }
  world.scheduler.run_for(100 * kNsPerMs);
  EXPECT_FALSE(called);
}

TEST(SimProcesses, runs_are_recorded_in_the_trace) {
  World a;
  World b;
  for (World* world : {&a, &b}) {
    SimProcesses processes(world->scheduler, "node-a");
    processes.script("app", ScriptedRun{0, 5, "ok"});
    processes.run(spec_of("app", {"--check"}), [](io::Result<io::ProcessResult>) {});
    world->scheduler.run_for(10);
  }
  EXPECT_EQ(a.trace.hash(), b.trace.hash());
  bool seen = false;
  for (const std::string& line : a.trace.recent_lines()) seen = seen || line.find("run app --check") != std::string::npos;
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace hamirror::sim
