// errd in the simulator: the monitored process is killed in the simulated process
// table (SimProcesses::kill_by_name), the checker notices at its next poll, and a
// node-like harness performs the action through PrimaryRole, as the node will.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/failover/process_checker.h"
#include "failover_world.h"

namespace hamirror::core::testing {
namespace {

constexpr std::uint64_t kSeed = 37;

struct Action {
  std::int64_t at_ns = 0;
  ProcessAction action = ProcessAction::restart;
  std::string reason;
};

// The node's wiring of errd: restart -> restart_application and watch again;
// stopstart / stop -> leave the primary role (the peer takes over; "stop" also stops
// the module here, which is the node's business).
class ErrdNode {
 public:
  ErrdNode(FailoverWorld& world, ProcessCheckerConfig config)
      : world_(world),
        app_(world.io(), world.app_config(), world.app_listener()),
        role_(world.io(), {.node_name = kNode, .vip = {.address = kVipAddress}}, app_, world.hooks(), world.role_log()),
        checker_(world.io(), std::move(config),
                 {.log = world.log_fn(), .on_action = [this](ProcessAction a, const std::string& r) { on_action(a, r); }}) {}

  void become_primary() {
    bool done = false;
    role_.become_primary("peer down", [this, &done](const PrimaryRole::Outcome& outcome) {
      ASSERT_TRUE(outcome.ok()) << outcome.reason;
      checker_.start("application started on the primary");
      done = true;
    });
    ASSERT_TRUE(world_.run_until([&] { return done; }));
  }

  const std::vector<Action>& actions() const { return actions_; }
  ProcessChecker& checker() { return checker_; }
  PrimaryRole& role() { return role_; }
  bool settled() const { return !role_.busy(); }

 private:
  void on_action(ProcessAction action, const std::string& reason) {
    actions_.push_back({world_.now_ns(), action, reason});
    EXPECT_FALSE(checker_.active()) << "paused while the node acts";
    if (action == ProcessAction::restart) {
      role_.restart_application("errd: " + reason, [this](const PrimaryRole::Outcome& outcome) {
        ASSERT_TRUE(outcome.ok()) << outcome.reason;
        checker_.start("application restarted");
      });
      return;
    }
    role_.leave_gracefully("errd: " + reason, [](const PrimaryRole::Outcome& outcome) {
      EXPECT_TRUE(outcome.ok()) << outcome.reason;
    });
  }

  FailoverWorld& world_;
  ApplicationControl app_;
  PrimaryRole role_;
  ProcessChecker checker_;
  std::vector<Action> actions_;
};

ProcessCheckerConfig errd_config(ProcessAction action, std::uint32_t max_loop, std::int64_t loop_interval_ms) {
  return {.processes = {{.name = kAppProcess, .at_least = 1, .action = action}},
          .poll_interval_ms = 10'000,
          .max_loop = max_loop,
          .loop_interval_ms = loop_interval_ms};
}

// Kills the application's processes and runs until errd's action is reported and
// the node has finished acting on it.
const Action& kill_and_wait(FailoverWorld& world, ErrdNode& node) {
  const std::size_t before = node.actions().size();
  EXPECT_GT(world.node().processes().kill_by_name(kAppProcess), 0U);
  EXPECT_TRUE(world.run_until([&] { return node.actions().size() > before && node.settled(); }, s(120)));
  EXPECT_EQ(node.actions().size(), before + 1);
  return node.actions().back();
}

TEST(ProcessChecker, errd_restarts_a_killed_process_up_to_maxloop_then_stops_here) {
  FailoverWorld world(kSeed);
  ErrdNode node(world, errd_config(ProcessAction::restart, 3, 3'600'000));
  node.become_primary();
  for (int restart = 1; restart <= 3; ++restart) {
    world.run_for(s(30));
    const std::int64_t killed_at = world.now_ns();
    const Action& action = kill_and_wait(world, node);
    EXPECT_EQ(action.action, ProcessAction::restart) << action.reason;
    EXPECT_LE(action.at_ns - killed_at, s(10)) << "noticed within one poll interval";
    EXPECT_NE(action.reason.find("process 'appd': 0 running, at least 1 expected"), std::string::npos) << action.reason;
    EXPECT_NE(action.reason.find("restart " + std::to_string(restart) + " of at most 3"), std::string::npos)
        << action.reason;
    EXPECT_EQ(world.app_instances(), 1U) << "restarted by start_prim";
    EXPECT_TRUE(node.checker().active()) << "watching again once restarted";
  }
  world.run_for(s(30));
  const Action& last = kill_and_wait(world, node);
  EXPECT_EQ(last.action, ProcessAction::stop) << last.reason;
  EXPECT_NE(last.reason.find("maxloop reached: 3 restart(s)/failover(s) already within the last 3600000 ms"),
            std::string::npos)
      << last.reason;
  EXPECT_TRUE(world.logged("errd: " + last.reason + " -> stop"));

  EXPECT_EQ(world.node().processes().run_count(kStartPrim), 4U) << "the first start and 3 restarts, no more";
  EXPECT_EQ(world.node().processes().run_count(kStopPrim), 4U) << "3 restarts and the final stop";
  EXPECT_EQ(node.role().state(), PrimaryRole::State::secondary);
  EXPECT_FALSE(world.vip_held());
  EXPECT_FALSE(node.checker().active());
  world.run_for(s(60));
  EXPECT_EQ(node.actions().size(), 4U) << "nothing more once stopped here";
}

TEST(ProcessChecker, restarts_spread_over_more_than_loop_interval_do_not_accumulate) {
  FailoverWorld world(kSeed);
  // maxloop 2 per 60 s; one death every 35 s means at most 2 restarts in any 60 s.
  ErrdNode node(world, errd_config(ProcessAction::restart, 2, 60'000));
  node.become_primary();
  for (int death = 0; death < 8; ++death) {
    world.run_for(s(35) - (world.now_ns() % s(35)));
    const Action& action = kill_and_wait(world, node);
    EXPECT_EQ(action.action, ProcessAction::restart) << "death " << death << ": " << action.reason;
    EXPECT_LE(node.checker().actions_in_window(), 2U);
  }
  EXPECT_EQ(world.node().processes().run_count(kStartPrim), 9U);
  EXPECT_EQ(node.role().state(), PrimaryRole::State::primary);
}

TEST(ProcessChecker, the_same_deaths_closer_together_exceed_maxloop) {
  FailoverWorld world(kSeed);
  ErrdNode node(world, errd_config(ProcessAction::restart, 2, 60'000));
  node.become_primary();
  std::vector<ProcessAction> seen;
  for (int death = 0; death < 3; ++death) {
    world.run_for(s(15));
    seen.push_back(kill_and_wait(world, node).action);
  }
  EXPECT_EQ(seen, (std::vector<ProcessAction>{ProcessAction::restart, ProcessAction::restart, ProcessAction::stop}));
}

TEST(ProcessChecker, stopstart_asks_for_a_failover_at_the_first_death) {
  FailoverWorld world(kSeed);
  ErrdNode node(world, errd_config(ProcessAction::stopstart, 3, 3'600'000));
  node.become_primary();
  world.run_for(s(30));
  const Action& action = kill_and_wait(world, node);
  EXPECT_EQ(action.action, ProcessAction::stopstart) << action.reason;
  EXPECT_NE(action.reason.find("stopstart 1 of at most 3"), std::string::npos) << action.reason;
  EXPECT_EQ(world.node().processes().run_count(kStartPrim), 1U) << "no restart here: the peer takes over";
  EXPECT_EQ(node.role().state(), PrimaryRole::State::secondary);
  EXPECT_FALSE(world.vip_held());
}

TEST(ProcessChecker, action_stop_stops_here_without_a_restart) {
  FailoverWorld world(kSeed);
  ErrdNode node(world, errd_config(ProcessAction::stop, 3, 3'600'000));
  node.become_primary();
  world.run_for(s(30));
  const Action& action = kill_and_wait(world, node);
  EXPECT_EQ(action.action, ProcessAction::stop) << action.reason;
  EXPECT_EQ(world.node().processes().run_count(kStartPrim), 1U);
  EXPECT_EQ(node.checker().actions_in_window(), 0U) << "a stop is not a restart or failover to count";
}

TEST(ProcessChecker, watches_only_once_started_on_the_primary) {
  FailoverWorld world(kSeed);
  ErrdNode node(world, errd_config(ProcessAction::restart, 3, 3'600'000));
  world.node().processes().start_process(kAppProcess);
  world.node().processes().kill_by_name(kAppProcess);
  world.run_for(s(60));
  EXPECT_TRUE(node.actions().empty()) << "class prim: nothing is watched on a secondary";
  node.become_primary();
  world.run_for(s(60));
  EXPECT_TRUE(node.actions().empty()) << "the application runs";
}

TEST(ProcessChecker, fewer_than_atleast_instances_is_a_death) {
  FailoverWorld world(kSeed);
  world.app_behaviour().instances = 2;
  ProcessCheckerConfig config = errd_config(ProcessAction::restart, 3, 3'600'000);
  config.processes[0].at_least = 2;
  ErrdNode node(world, std::move(config));
  node.become_primary();
  world.run_for(s(30));
  ASSERT_TRUE(world.node().processes().kill_process(sim::kFirstSimPid));
  ASSERT_TRUE(world.run_until([&] { return !node.actions().empty(); }, s(30)));
  EXPECT_NE(node.actions()[0].reason.find("1 running, at least 2 expected"), std::string::npos)
      << node.actions()[0].reason;
}

TEST(ProcessChecker, several_names_short_at_once_give_one_action_the_strongest) {
  FailoverWorld world(kSeed);
  world.node().processes().start_process("helper");
  ProcessCheckerConfig config = errd_config(ProcessAction::restart, 3, 3'600'000);
  config.processes.push_back({.name = "helper", .at_least = 1, .action = ProcessAction::stopstart});
  ErrdNode node(world, std::move(config));
  node.become_primary();
  world.run_for(s(30));
  world.node().processes().kill_by_name("helper");
  const Action& action = kill_and_wait(world, node);
  EXPECT_EQ(action.action, ProcessAction::stopstart);
  EXPECT_NE(action.reason.find("process 'appd'"), std::string::npos) << action.reason;
  EXPECT_NE(action.reason.find("process 'helper'"), std::string::npos) << action.reason;
}

TEST(ProcessChecker, the_same_seed_tells_the_same_story) {
  const auto story = [] {
    FailoverWorld world(kSeed);
    ErrdNode node(world, errd_config(ProcessAction::restart, 2, 60'000));
    node.become_primary();
    for (int death = 0; death < 3; ++death) {
      world.run_for(s(15));
      kill_and_wait(world, node);
    }
    return world.cluster().trace().hash();
  };
  EXPECT_EQ(story(), story());
}

TEST(LoopBudget, counts_only_the_events_within_the_sliding_window) {
  LoopBudget budget(2, s(60));
  EXPECT_FALSE(budget.exhausted(0));
  budget.record(s(0));
  budget.record(s(30));
  EXPECT_TRUE(budget.exhausted(s(59)));
  EXPECT_EQ(budget.used(s(60)), 1U) << "an event exactly loop_interval old no longer counts";
  EXPECT_FALSE(budget.exhausted(s(60)));
  budget.record(s(60));
  EXPECT_TRUE(budget.exhausted(s(89)));
  EXPECT_EQ(budget.used(s(200)), 0U);
  LoopBudget none(0, s(60));
  EXPECT_TRUE(none.exhausted(0)) << "maxloop 0: no restart at all";
}

}  // namespace
}  // namespace hamirror::core::testing
