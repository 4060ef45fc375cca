#include "sim/sim_vip.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "io/clock.h"

namespace hamirror::sim {
namespace {

using io::kNsPerMs;

const io::VipSpec kVip{"10.0.0.100", 24, ""};

struct World {
  Trace trace;
  Scheduler scheduler{trace};
  VipRegistry registry{scheduler};
};

void expect_ok(io::Error error) { EXPECT_EQ(error, io::Error::ok); }

TEST(VipRegistry, detects_two_holders_at_the_same_instant_and_reports_the_overlap) {
  World world;
  world.scheduler.run_for(1 * io::kNsPerS);
  world.registry.acquire(kVip.address, "node-a");
  world.scheduler.run_for(2 * io::kNsPerS);
  world.registry.acquire(kVip.address, "node-b");  // split brain: a still holds it
  world.scheduler.run_for(500 * kNsPerMs);
  world.registry.release(kVip.address, "node-a");

  const auto overlap = world.registry.first_overlap(kVip.address);
  ASSERT_TRUE(overlap.has_value());
  EXPECT_EQ(overlap->first_node, "node-a");
  EXPECT_EQ(overlap->second_node, "node-b");
  EXPECT_EQ(overlap->from_ns, 3 * io::kNsPerS);
  EXPECT_EQ(overlap->until_ns, 3 * io::kNsPerS + 500 * kNsPerMs);
  EXPECT_TRUE(world.registry.first_overlap().has_value());
  EXPECT_EQ(world.registry.holders(kVip.address), (std::vector<std::string>{"node-b"}));
  EXPECT_NE(to_string(*overlap).find("node-a and node-b"), std::string::npos);
}

TEST(VipRegistry, reports_no_overlap_when_handovers_do_not_overlap) {
  World world;
  for (int round = 0; round < 5; ++round) {
    const std::string from = round % 2 == 0 ? "node-a" : "node-b";
    const std::string to = round % 2 == 0 ? "node-b" : "node-a";
    world.registry.acquire(kVip.address, from);
    world.scheduler.run_for(io::kNsPerS);
    world.registry.release(kVip.address, from);
    world.registry.acquire(kVip.address, to);  // same instant: a clean handover
    world.scheduler.run_for(io::kNsPerS);
    world.registry.release(kVip.address, to);
    world.scheduler.run_for(10 * kNsPerMs);
  }
  EXPECT_EQ(world.registry.history(kVip.address).size(), 10u);
  EXPECT_FALSE(world.registry.first_overlap(kVip.address).has_value());
  EXPECT_FALSE(world.registry.first_overlap().has_value());
  EXPECT_TRUE(world.registry.holders(kVip.address).empty());
}

TEST(VipRegistry, an_overlap_with_an_early_long_holder_is_found_past_shorter_ones) {
  World world;
  world.registry.acquire(kVip.address, "node-a");  // never released
  world.scheduler.run_for(io::kNsPerS);
  world.registry.acquire("10.0.0.101", "node-b");   // another address: irrelevant
  world.scheduler.run_for(io::kNsPerS);
  world.registry.acquire(kVip.address, "node-b");
  const auto overlap = world.registry.first_overlap();
  ASSERT_TRUE(overlap.has_value());
  EXPECT_EQ(overlap->address, kVip.address);
  EXPECT_EQ(overlap->until_ns, kStillHeld);
}

TEST(VipRegistry, release_all_releases_every_address_of_a_node) {
  World world;
  world.registry.acquire("10.0.0.1", "node-a");
  world.registry.acquire("10.0.0.2", "node-a");
  world.registry.acquire("10.0.0.2", "node-a");  // idempotent
  world.scheduler.run_for(5);
  world.registry.release_all("node-a");
  EXPECT_FALSE(world.registry.held_by("10.0.0.1", "node-a"));
  EXPECT_FALSE(world.registry.held_by("10.0.0.2", "node-a"));
  EXPECT_EQ(world.registry.history("10.0.0.2").size(), 1u);
  EXPECT_EQ(world.registry.history("10.0.0.2")[0], (VipInterval{"node-a", 0, 5}));
}

TEST(SimVirtualIp, add_check_remove_complete_through_the_scheduler_and_are_idempotent) {
  World world;
  SimVirtualIp vip(world.registry, "node-a", world.scheduler);
  std::vector<std::string> events;
  vip.add(kVip, [&](io::Error e) { events.push_back("add " + std::string(io::error_name(e))); });
  vip.add(kVip, [&](io::Error e) { events.push_back("add " + std::string(io::error_name(e))); });
  EXPECT_TRUE(events.empty()) << "completed inside add()";
  vip.check(kVip, [&](io::Result<bool> held) { events.push_back(held.value() ? "held" : "not held"); });
  vip.remove(kVip, [&](io::Error e) { events.push_back("remove " + std::string(io::error_name(e))); });
  vip.remove(kVip, [&](io::Error e) { events.push_back("remove " + std::string(io::error_name(e))); });
  vip.check(kVip, [&](io::Result<bool> held) { events.push_back(held.value() ? "held" : "not held"); });
  world.scheduler.run_for(1);
  EXPECT_EQ(events, (std::vector<std::string>{"add ok", "add ok", "held", "remove ok", "remove ok", "not held"}));
  EXPECT_EQ(world.registry.history(kVip.address).size(), 1u);
}

TEST(SimVirtualIp, injected_failures_leave_the_holding_as_it_was) {
  World world;
  SimVirtualIp vip(world.registry, "node-a", world.scheduler);
  vip.set_add_error(io::Error::permission_denied);
  std::vector<io::Error> errors;
  vip.add(kVip, [&](io::Error e) { errors.push_back(e); });
  world.scheduler.run_for(1);
  EXPECT_FALSE(world.registry.held_by(kVip.address, "node-a"));

  vip.set_add_error(io::Error::ok);
  vip.set_remove_error(io::Error::busy);
  vip.add(kVip, [&](io::Error e) { errors.push_back(e); });
  vip.remove(kVip, [&](io::Error e) { errors.push_back(e); });
  vip.set_check_error(io::Error::timed_out);
  vip.check(kVip, [&](io::Result<bool> held) { errors.push_back(held.error()); });
  world.scheduler.run_for(1);
  EXPECT_EQ(errors, (std::vector<io::Error>{io::Error::permission_denied, io::Error::ok, io::Error::busy,
                                            io::Error::timed_out}));
  EXPECT_TRUE(world.registry.held_by(kVip.address, "node-a"));
}

TEST(SimVirtualIp, a_takeover_that_adds_before_the_old_remove_completed_is_an_overlap) {
  World world;
  SimVirtualIpOptions slow;
  slow.add_latency_ns = 50 * kNsPerMs;
  slow.remove_latency_ns = 50 * kNsPerMs;
  SimVirtualIp a(world.registry, "node-a", world.scheduler, slow);
  SimVirtualIp b(world.registry, "node-b", world.scheduler, slow);
  a.add(kVip, expect_ok);
  world.scheduler.run_for(io::kNsPerS);

  // Correct: b adds only once a's remove completed.
  a.remove(kVip, [&](io::Error e) {
    expect_ok(e);
    b.add(kVip, expect_ok);
  });
  world.scheduler.run_for(io::kNsPerS);
  EXPECT_FALSE(world.registry.first_overlap().has_value());

  // Wrong: a adds back while b's remove is still under way.
  b.remove(kVip, expect_ok);
  a.add(kVip, expect_ok);
  world.scheduler.run_for(io::kNsPerS);
  const auto overlap = world.registry.first_overlap();
  ASSERT_TRUE(overlap.has_value());
  EXPECT_EQ(overlap->until_ns - overlap->from_ns, 50 * kNsPerMs);
}

TEST(SimVirtualIp, destroying_it_cancels_pending_completions_but_keeps_the_address) {
  World world;
  bool called = false;
  {
    SimVirtualIpOptions slow;
    slow.add_latency_ns = 10;
    SimVirtualIp vip(world.registry, "node-a", world.scheduler, slow);
    vip.add(kVip, [&](io::Error) { called = true; });
  }
  world.scheduler.run_for(100);
  EXPECT_FALSE(called);
  EXPECT_TRUE(world.registry.held_by(kVip.address, "node-a"));
}

}  // namespace
}  // namespace hamirror::sim
