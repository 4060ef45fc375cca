// PeerMonitor on a node that stood still (a VM stall, sim's freeze): its pulse comes
// late, before the heartbeats held for it are read. That late pulse must not declare
// the peer down; silence is judged a moment later, on what arrived (seeds 1565, 44157,
// 399200 and 35855 of the fault runner: a thawing node took its live peer for gone and
// went ALONE).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/peer_monitor.h"
#include "io/assert.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::sim {
namespace {

constexpr std::int64_t kMs = io::kNsPerMs;
constexpr std::uint16_t kPort = 4800;
constexpr std::int64_t kPulseMs = 100;
constexpr std::int64_t kTimeoutMs = 1000;

struct Pair {
  // cut: no datagram passes between the two from the start.
  explicit Pair(bool cut = false) : cluster(1) {
    for (const std::string n : {"a", "b"}) cluster.add_node(SimNodeSpec{n, {{"hb", n + ".hb"}}, 0});
    if (cut) cluster.world().partition("a", "b");
    for (const std::string n : {"a", "b"}) {
      const std::string peer = n == "a" ? "b" : "a";
      core::PeerMonitorConfig config{.node_name = n,
                                     .peer_name = peer,
                                     .networks = {{"hb", {n + ".hb", kPort}, {peer + ".hb", kPort}}},
                                     .pulse_ms = kPulseMs,
                                     .timeout_ms = kTimeoutMs};
      auto monitor = std::make_unique<core::PeerMonitor>(
          cluster.node(n).io(), config,
          core::PeerMonitor::Listener{.on_network_change = [](const std::string&, bool, const std::string&) {},
                                      .on_peer_change = [this, n](bool up, const std::string&) {
                                        changes.push_back(n + (up ? " up @" : " down @") +
                                                          std::to_string(cluster.scheduler().now_ns() / kMs));
                                      }});
      HM_ASSERT(monitor->start() == io::Error::ok);
      monitors.push_back(std::move(monitor));
    }
  }
  void run_to_ms(std::int64_t ms) { cluster.scheduler().run_for(ms * kMs - cluster.scheduler().now_ns()); }

  SimCluster cluster;
  std::vector<std::unique_ptr<core::PeerMonitor>> monitors;
  std::vector<std::string> changes;
};

TEST(PeerMonitorStall, a_node_thawing_after_a_stall_longer_than_the_timeout_reads_the_held_heartbeats_first) {
  Pair pair;
  pair.run_to_ms(500);
  ASSERT_EQ(pair.changes, (std::vector<std::string>{"b up @0", "a up @0"}));
  // a hears nothing from b for a while, then stands still: its next pulse is held
  // before any of b's heartbeats, which reach its buffer once the cut heals.
  pair.cluster.world().partition("b", "a", netsim::Direction::one_way);
  pair.run_to_ms(550);
  pair.cluster.node("a").freeze();
  pair.run_to_ms(1000);
  pair.cluster.world().heal("b", "a");
  pair.run_to_ms(3000);  // three timeouts
  pair.cluster.node("a").thaw();
  pair.run_to_ms(5000);
  EXPECT_EQ(pair.changes, (std::vector<std::string>{"b up @0", "a up @0", "b down @1600", "b up @3000"}))
      << "a never took b for down (b saw a silent while it was frozen)";
}

TEST(PeerMonitorStall, a_peer_silent_through_the_stall_is_declared_down_just_after_the_thaw) {
  Pair pair;
  pair.run_to_ms(500);
  pair.cluster.node("a").freeze();
  pair.cluster.world().partition("a", "b");
  pair.run_to_ms(3000);
  pair.cluster.node("a").thaw();
  pair.run_to_ms(5000);
  EXPECT_EQ(pair.changes, (std::vector<std::string>{"b up @0", "a up @0", "b down @1500", "a down @3001"}));
}

// Seed 35855: a secondary thawed, was frozen again before its next pulse, and thawed
// again. Only the first late pulse of a run deferred its judgement, so the second one
// judged before reading the heartbeats held meanwhile, and the node took over from a
// live peer. Every late pulse defers now.
TEST(PeerMonitorStall, seed_35855_a_node_frozen_again_before_its_next_pulse_still_reads_before_judging) {
  Pair pair;
  pair.run_to_ms(550);
  pair.cluster.node("a").freeze();
  pair.run_to_ms(3000);
  pair.cluster.node("a").thaw();
  pair.run_to_ms(3050);  // a's late pulse ran, and deferred; its next is due at 3100
  pair.cluster.node("a").freeze();
  pair.run_to_ms(6000);
  pair.cluster.node("a").thaw();
  pair.run_to_ms(8000);
  std::vector<std::string> seen_by_a;
  for (const auto& change : pair.changes) {
    if (change.starts_with("a ")) seen_by_a.push_back(change);
  }
  EXPECT_EQ(seen_by_a, (std::vector<std::string>{"a up @0"})) << "a took b, heard all along, for down";
}

// Seed 4315: a node that never heard its peer is not told the peer is down at once,
// nor never: once, after the same timeout of silence a peer that was up must keep.
TEST(PeerMonitorStart, a_peer_never_heard_is_judged_down_once_a_timeout_after_the_start) {
  Pair pair(/*cut=*/true);
  pair.run_to_ms(999);
  EXPECT_TRUE(pair.changes.empty());
  EXPECT_FALSE(pair.monitors[0]->peer_down()) << "not judged yet";
  pair.run_to_ms(5000);
  EXPECT_EQ(pair.changes, (std::vector<std::string>{"a down @1000", "b down @1000"}));
  EXPECT_TRUE(pair.monitors[0]->peer_down());
  EXPECT_FALSE(pair.monitors[0]->peer_up());
  pair.cluster.world().heal("a", "b");
  pair.run_to_ms(5500);
  EXPECT_EQ(pair.changes, (std::vector<std::string>{"a down @1000", "b down @1000", "b up @5100", "a up @5100"}));
  EXPECT_FALSE(pair.monitors[0]->peer_down());
}

}  // namespace
}  // namespace hamirror::sim
