// PrimaryRole in the simulator: the order of its steps read from the VIP registry's
// history, the scripted application's run times and the write gate's notes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/failover/primary_role.h"
#include "failover_world.h"

namespace hamirror::core::testing {
namespace {

constexpr std::uint64_t kSeed = 23;

using Outcome = PrimaryRole::Outcome;

PrimaryRoleConfig role_config() { return {.node_name = kNode, .vip = {.address = kVipAddress, .prefix_length = 24}}; }

// The node's parts for one test: the application and the role over the world.
struct Primary {
  explicit Primary(FailoverWorld& world)
      : world(world),
        app(world.io(), world.app_config(), world.app_listener()),
        role(world.io(), role_config(), app, world.hooks(), world.role_log()) {}

  Outcome run(void (PrimaryRole::*sequence)(const std::string&, PrimaryRole::DoneFn), const std::string& reason) {
    Captured<Outcome> outcome;
    (role.*sequence)(reason, outcome.callback(world));
    EXPECT_TRUE(world.run_until([&] { return outcome.done(); }));
    EXPECT_EQ(outcome.calls, 1);
    return outcome.value.value_or(Outcome{.error = io::Error::unknown, .reason = "never completed"});
  }

  FailoverWorld& world;
  ApplicationControl app;
  PrimaryRole role;
};

TEST(PrimaryRole, become_primary_makes_the_data_writable_then_adds_the_vip_then_runs_start_prim) {
  FailoverWorld world(kSeed, {.add_latency_ns = ms(200)});
  Primary node(world);
  world.run_for(s(1));
  const std::int64_t t0 = world.now_ns();
  Captured<Outcome> became;
  node.role.become_primary("peer down, data up to date", became.callback(world));
  EXPECT_EQ(node.role.state(), PrimaryRole::State::becoming_primary);
  ASSERT_TRUE(world.run_until([&] { return became.done(); }));

  ASSERT_TRUE(became.value->ok()) << became.value->reason;
  EXPECT_EQ(node.role.state(), PrimaryRole::State::primary);
  EXPECT_EQ(world.first("make_writable called"), t0);
  EXPECT_EQ(world.first("writable"), t0 + ms(50));
  ASSERT_EQ(world.vip_history().size(), 1U);
  EXPECT_EQ(world.vip_history()[0].from_ns, t0 + ms(50)) << "the VIP is added once the data is writable";
  EXPECT_EQ(world.first("start_prim run"), t0 + ms(250)) << "start_prim once the VIP add completed";
  EXPECT_EQ(became.at_ns, t0 + ms(750)) << "done when start_prim exits";
  EXPECT_EQ(world.sequence(), (std::vector<std::string>{"make_writable called", "writable", "start_prim run"}));
  EXPECT_TRUE(world.vip_held());
  EXPECT_TRUE(world.writable());
  EXPECT_EQ(world.app_instances(), 1U);
  EXPECT_TRUE(world.logged("role alpha: secondary -> becoming_primary: become_primary: peer down, data up to date"));
  EXPECT_TRUE(world.logged("role alpha: becoming_primary -> primary: become_primary done"));
}

TEST(PrimaryRole, become_primary_stops_when_the_vip_cannot_be_added) {
  FailoverWorld world(kSeed);
  world.vip().set_add_error(io::Error::address_in_use);
  Primary node(world);
  const Outcome became = node.run(&PrimaryRole::become_primary, "peer down");

  EXPECT_EQ(became.error, io::Error::address_in_use);
  EXPECT_EQ(became.failed_step, PrimaryRole::Step::vip_add);
  EXPECT_NE(became.reason.find("could not add virtual IP 10.0.0.99: address_in_use"), std::string::npos)
      << became.reason;
  EXPECT_EQ(world.node().processes().run_count(kStartPrim), 0U) << "start_prim is not run without the VIP";
  EXPECT_EQ(node.role.state(), PrimaryRole::State::incomplete);
  EXPECT_TRUE(world.logged("become_primary failed at vip_add (address_in_use)"));

  // The node cleans up from incomplete; every step is safe to repeat.
  world.vip().set_add_error(io::Error::ok);
  const Outcome fenced = node.run(&PrimaryRole::fence, "could not take the role");
  EXPECT_TRUE(fenced.ok()) << fenced.reason;
  EXPECT_EQ(node.role.state(), PrimaryRole::State::secondary);
  EXPECT_FALSE(world.writable());
}

TEST(PrimaryRole, become_primary_reports_a_failing_start_prim_and_keeps_what_it_took) {
  FailoverWorld world(kSeed);
  world.app_behaviour().start_exit_code = 2;
  Primary node(world);
  const Outcome became = node.run(&PrimaryRole::become_primary, "peer down");
  EXPECT_EQ(became.error, io::Error::unknown);
  EXPECT_EQ(became.failed_step, PrimaryRole::Step::start_application);
  EXPECT_EQ(node.role.state(), PrimaryRole::State::incomplete);
  EXPECT_TRUE(world.vip_held()) << "the node decides: leave, fence or stay";
}

TEST(PrimaryRole, leave_gracefully_stops_the_application_then_removes_the_vip_then_turns_read_only) {
  FailoverWorld world(kSeed, {.remove_latency_ns = ms(100)});
  Primary node(world);
  ASSERT_TRUE(node.run(&PrimaryRole::become_primary, "peer down").ok());
  world.run_for(s(10));
  const std::int64_t t1 = world.now_ns();
  const Outcome left = node.run(&PrimaryRole::leave_gracefully, "admin swap");

  ASSERT_TRUE(left.ok()) << left.reason;
  EXPECT_EQ(node.role.state(), PrimaryRole::State::secondary);
  EXPECT_EQ(world.first("stop_prim run"), t1);
  ASSERT_EQ(world.vip_history().size(), 1U);
  EXPECT_EQ(world.vip_history()[0].until_ns, t1 + ms(300) + ms(100)) << "after stop_prim exited, plus the removal";
  EXPECT_EQ(world.first("read_only"), t1 + ms(400)) << "read-only once the VIP is gone";
  EXPECT_EQ(world.count("stop_prim force run"), 0U);
  EXPECT_FALSE(world.vip_held());
  EXPECT_FALSE(world.writable());
  EXPECT_EQ(world.app_instances(), 0U);
}

TEST(PrimaryRole, fence_refuses_writes_before_returning_and_removes_the_vip_before_stop_prim_finishes) {
  FailoverWorld world(kSeed, {.remove_latency_ns = ms(100)});
  world.app_behaviour().force_stop_duration_ns = s(3);
  Primary node(world);
  ASSERT_TRUE(node.run(&PrimaryRole::become_primary, "peer down").ok());
  world.run_for(s(10));
  ASSERT_TRUE(world.writable());
  const std::int64_t t1 = world.now_ns();
  Captured<Outcome> fenced;
  node.role.fence("witness lease lost", fenced.callback(world));
  EXPECT_FALSE(world.writable()) << "writes refused inside fence(), before any event runs";
  EXPECT_EQ(world.first("writes refused"), t1);
  ASSERT_TRUE(world.run_until([&] { return fenced.done(); }));

  ASSERT_TRUE(fenced.value->ok()) << fenced.value->reason;
  ASSERT_EQ(world.vip_history().size(), 1U);
  const std::int64_t vip_gone = world.vip_history()[0].until_ns;
  EXPECT_EQ(vip_gone, t1 + ms(100)) << "the VIP goes at once, not after the application";
  EXPECT_EQ(world.first("stop_prim force run"), t1 + ms(100));
  EXPECT_EQ(fenced.at_ns, t1 + ms(100) + s(3)) << "stop_prim force ends last";
  EXPECT_LT(vip_gone, fenced.at_ns);
  EXPECT_EQ(world.count("stop_prim run"), 0U) << "fencing runs stop_prim with force only";
  EXPECT_EQ(node.role.state(), PrimaryRole::State::secondary);
  EXPECT_EQ(world.app_instances(), 0U);
}

TEST(PrimaryRole, fence_during_become_primary_cancels_it_and_leaves_nothing_started) {
  FailoverWorld world(kSeed);
  world.app_behaviour().start_duration_ns = s(10);
  Primary node(world);
  Captured<Outcome> became;
  Captured<Outcome> fenced;
  node.role.become_primary("peer down", became.callback(world));
  ASSERT_TRUE(world.run_until([&] { return world.first("start_prim run").has_value(); }));
  const std::int64_t start_prim_at = *world.first("start_prim run");
  world.run_for(s(1));
  const std::int64_t tf = world.now_ns();
  node.role.fence("isolated: no heartbeat, no witness", fenced.callback(world));
  EXPECT_FALSE(world.writable());
  ASSERT_TRUE(world.run_until([&] { return fenced.done(); }));

  ASSERT_TRUE(became.done());
  EXPECT_EQ(became.value->error, io::Error::cancelled) << became.value->reason;
  EXPECT_EQ(became.at_ns, tf) << "the superseded caller hears it at once, on the loop";
  EXPECT_EQ(world.vip_history().at(0).until_ns, tf) << "the VIP goes at once";
  EXPECT_EQ(world.first("stop_prim force run"), start_prim_at + s(10))
      << "stop_prim force waits for start_prim to end, so it cannot be undone by it";
  ASSERT_TRUE(fenced.value->ok()) << fenced.value->reason;
  EXPECT_EQ(node.role.state(), PrimaryRole::State::secondary);
  EXPECT_EQ(world.app_instances(), 0U);
  EXPECT_FALSE(world.vip_held());
  EXPECT_EQ(world.node().processes().run_count(kStartPrim), 1U);
}

TEST(PrimaryRole, fence_while_the_vip_add_is_in_flight_removes_it_again_once_the_add_completes) {
  FailoverWorld world(kSeed, {.add_latency_ns = s(2)});
  Primary node(world);
  Captured<Outcome> became;
  Captured<Outcome> fenced;
  node.role.become_primary("peer down", became.callback(world));
  ASSERT_TRUE(world.run_until([&] { return world.first("writable").has_value(); }));
  const std::int64_t add_called = *world.first("writable");
  world.run_for(ms(500));
  node.role.fence("lease lost", fenced.callback(world));
  ASSERT_TRUE(world.run_until([&] { return fenced.done(); }));

  EXPECT_EQ(became.value->error, io::Error::cancelled);
  ASSERT_TRUE(fenced.value->ok()) << fenced.value->reason;
  EXPECT_TRUE(world.logged("removed, but an add is still in flight: removing again when it completes"));
  EXPECT_GE(fenced.at_ns, add_called + s(2)) << "the removal step ends only after the raced add settled";
  EXPECT_FALSE(world.vip_held());
  EXPECT_EQ(world.node().processes().run_count(kStartPrim), 0U);
  EXPECT_EQ(node.role.state(), PrimaryRole::State::secondary);
}

TEST(PrimaryRole, a_make_writable_answering_after_a_fence_does_not_reopen_writes) {
  FailoverWorld world(kSeed);
  world.writability_latency_ns = s(1);
  Primary node(world);
  Captured<Outcome> became;
  Captured<Outcome> fenced;
  node.role.become_primary("peer down", became.callback(world));
  world.run_for(ms(500));
  node.role.fence("lease lost", fenced.callback(world));
  ASSERT_TRUE(world.run_until([&] { return fenced.done() && world.first("writable").has_value(); }));
  EXPECT_FALSE(world.writable());
  EXPECT_TRUE(world.vip_history().empty()) << "the VIP was never added";
  EXPECT_EQ(world.node().processes().run_count(kStartPrim), 0U);
  EXPECT_EQ(became.value->error, io::Error::cancelled);
  EXPECT_TRUE(fenced.value->ok()) << fenced.value->reason;

  // The node may take the role again once the fence is done.
  const Outcome again = node.run(&PrimaryRole::become_primary, "lease regained");
  EXPECT_TRUE(again.ok()) << again.reason;
  EXPECT_TRUE(world.writable());
}

TEST(PrimaryRole, leave_during_a_fence_joins_it_and_fence_during_leave_supersedes_it) {
  FailoverWorld world(kSeed);
  world.app_behaviour().nice_stop_duration_ns = s(3);
  Primary node(world);
  ASSERT_TRUE(node.run(&PrimaryRole::become_primary, "peer down").ok());
  Captured<Outcome> left;
  Captured<Outcome> fenced;
  Captured<Outcome> left_again;
  node.role.leave_gracefully("admin stop", left.callback(world));
  world.run_for(s(1));
  node.role.fence("lease lost", fenced.callback(world));
  node.role.leave_gracefully("admin stop, again", left_again.callback(world));
  ASSERT_TRUE(world.run_until([&] { return fenced.done() && left.done() && left_again.done(); }));
  EXPECT_EQ(left.value->error, io::Error::cancelled);
  EXPECT_EQ(left_again.value->sequence, PrimaryRole::Sequence::fence) << "joined the fence";
  EXPECT_TRUE(left_again.value->ok()) << left_again.value->reason;
  EXPECT_TRUE(fenced.value->ok()) << fenced.value->reason;
  EXPECT_EQ(world.first("stop_prim force run"), *world.first("stop_prim run") + s(1))
      << "the fence escalates the graceful stop at once";
  EXPECT_EQ(node.role.state(), PrimaryRole::State::secondary);
}

TEST(PrimaryRole, restart_application_runs_stop_prim_then_start_prim_and_keeps_the_vip) {
  FailoverWorld world(kSeed);
  Primary node(world);
  ASSERT_TRUE(node.run(&PrimaryRole::become_primary, "peer down").ok());
  world.run_for(s(5));
  const std::int64_t t1 = world.now_ns();
  const Outcome restarted = node.run(&PrimaryRole::restart_application, "errd: appd missing");
  ASSERT_TRUE(restarted.ok()) << restarted.reason;
  EXPECT_EQ(world.sequence(), (std::vector<std::string>{"make_writable called", "writable", "start_prim run",
                                                        "stop_prim run", "start_prim run"}));
  EXPECT_EQ(world.first("stop_prim run"), t1);
  ASSERT_EQ(world.vip_history().size(), 1U) << "the VIP stays through a restart";
  EXPECT_TRUE(world.vip_held());
  EXPECT_EQ(node.role.state(), PrimaryRole::State::primary);
  EXPECT_EQ(world.app_instances(), 1U);
}

}  // namespace
}  // namespace hamirror::core::testing
