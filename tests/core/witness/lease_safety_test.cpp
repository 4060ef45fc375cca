// The safety property over many seeds: whatever happens to the holder, its
// holds_lease() turns false strictly before (at least kStepDownMs of real time before)
// the other node's turns true. Checked after every scheduler event (lease_world.h).
//
// Each seed draws a network (latency, jitter, loss, duplication, reordering), each
// machine's clock rate (half the seeds the worst case: both nodes' clocks slow by the
// full kClockDriftMarginPpm, so a holder believes its lease lasts longest, and the
// witness's fast by as much, so it frees the lease soonest), then several rounds of
// one fault against the current holder:
//   cut both ways from the witness, cut its requests, cut the witness's replies,
//   freeze it, restart the witness (with or without a power cut), freeze the witness,
//   or have the holder give the lease up and ask again.
// Where the fault leaves the other node able to take over, the test also checks that
// it does (liveness), within a bounded time.
#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <string>

#include "io/random.h"
#include "lease_world.h"

namespace hamirror::witness_test {
namespace {

using core::witness::kClockDriftMarginPpm;

constexpr std::uint64_t kSeeds = 200;
constexpr int kRoundsPerSeed = 5;
constexpr std::int64_t kMs = io::kNsPerMs;
// The longest a fault lasts: long enough for any takeover it allows.
constexpr std::int64_t kTakeoverBoundMs = 50'000;

enum class Fault : std::uint8_t {
  cut_both_ways,
  cut_requests,
  cut_replies,
  freeze_holder,
  restart_witness,
  freeze_witness,
  give_up,
};
constexpr int kFaults = 7;

const char* fault_name(Fault fault) {
  switch (fault) {
    case Fault::cut_both_ways: return "cut the holder from the witness both ways";
    case Fault::cut_requests: return "cut the holder's requests to the witness";
    case Fault::cut_replies: return "cut the witness's replies to the holder";
    case Fault::freeze_holder: return "freeze the holder";
    case Fault::restart_witness: return "restart the witness";
    case Fault::freeze_witness: return "freeze the witness";
    case Fault::give_up: return "the holder gives the lease up";
  }
  return "?";
}

netsim::Options draw_network(io::Prng& rng) {
  netsim::Options options;
  auto& link = options.link;
  link.latency_min_ns = rng.between(10, 2'000) * io::kNsPerUs;
  link.latency_mean_ns = link.latency_min_ns + rng.between(0, 20) * kMs;
  link.jitter_ns = rng.between(0, 10) * kMs;
  const double losses[] = {0.0, 0.01, 0.05, 0.15};
  link.loss_probability = losses[rng.below(4)];
  link.duplicate_probability = rng.chance(1, 3) ? 0.05 : 0.0;
  link.reorder_probability = rng.chance(1, 3) ? 0.1 : 0.0;
  link.reorder_delay_max_ns = rng.between(1, 200) * kMs;
  return options;
}

// Some seeds make one direction between a node and the witness slow (up to 3 s one
// way): slow requests make the witness count a term late (the safe side), slow
// replies make a grant arrive late (the client counts it from the send anyway).
void draw_slow_links(LeaseWorld& world, io::Prng& rng) {
  for (const char* node : {"node1", "node2"}) {
    if (!rng.chance(1, 3)) continue;
    netsim::LinkOptions slow = world.cluster().world().options().link;
    slow.latency_min_ns = rng.between(1, 3'000) * kMs;
    slow.latency_mean_ns = slow.latency_min_ns;
    const bool replies = rng.chance(1, 2);
    const std::string node_host = world.machine(node).host;
    const std::string witness_host = world.witness_machine().host;
    world.cluster().world().set_host_link(replies ? witness_host : node_host, replies ? node_host : witness_host, slow);
  }
}

WorldOptions draw_world(io::Prng& rng) {
  WorldOptions options{.network = draw_network(rng)};
  if (rng.chance(1, 2)) {
    options.node1_drift_ppm = -kClockDriftMarginPpm;
    options.node2_drift_ppm = -kClockDriftMarginPpm;
    options.witness_drift_ppm = kClockDriftMarginPpm;
  } else {
    options.node1_drift_ppm = rng.between(-kClockDriftMarginPpm, kClockDriftMarginPpm);
    options.node2_drift_ppm = rng.between(-kClockDriftMarginPpm, kClockDriftMarginPpm);
    options.witness_drift_ppm = rng.between(-kClockDriftMarginPpm, kClockDriftMarginPpm);
  }
  return options;
}

bool acquired_since(const LeaseWorld& world, const std::string& node, std::size_t from_event) {
  for (std::size_t i = from_event; i < world.events().size(); ++i) {
    if (world.events()[i].node == node && world.events()[i].acquired) return true;
  }
  return false;
}

// Applies `fault` to `holder`, runs the fault's duration, and undoes it. Returns
// whether the other node was expected to take over during it.
bool run_fault(LeaseWorld& world, io::Prng& rng, Fault fault, const std::string& holder) {
  netsim::World& net = world.cluster().world();
  const std::int64_t duration_ms = rng.between(5'000, kTakeoverBoundMs);
  // A term plus grace (≈ 12.3 s with drift), up to 3 s more if the holder's requests
  // are slow, 6 s for a slow request and reply of the other node, then a dozen more
  // of its requests: with 15 % loss each way, all of them failing is one in millions.
  const bool long_enough = duration_ms >= 35'000;
  switch (fault) {
    case Fault::cut_both_ways:
    case Fault::cut_requests:
    case Fault::cut_replies:
      if (fault == Fault::cut_both_ways) net.partition(holder, "witness");
      if (fault == Fault::cut_requests) net.partition(holder, "witness", netsim::Direction::one_way);
      // The witness still hears the holder and keeps renewing it: nobody may take over
      // (availability suffers, safety does not).
      if (fault == Fault::cut_replies) net.partition("witness", holder, netsim::Direction::one_way);
      world.run_checked_for_ms(duration_ms);
      net.heal_all();
      return fault != Fault::cut_replies && long_enough;
    case Fault::freeze_holder:
      world.machine(holder).clock.freeze();
      world.run_checked_for_ms(duration_ms);
      world.machine(holder).clock.thaw();
      return long_enough;
    case Fault::restart_witness:
      world.restart_witness(rng.chance(1, 2));
      world.run_checked_for_ms(duration_ms);
      return false;  // either node may win after the wait
    case Fault::freeze_witness:
      world.witness_machine().clock.freeze();
      world.run_checked_for_ms(duration_ms);
      world.witness_machine().clock.thaw();
      return false;
    case Fault::give_up:
      world.client(holder).want_lease(false);
      world.run_checked_for_ms(duration_ms);
      world.client(holder).want_lease(true);
      return long_enough;
  }
  return false;
}

TEST(LeaseSafety, a_holder_stops_holding_strictly_before_the_other_starts_under_any_fault_drift_and_loss) {
  std::int64_t min_gap_ns = std::numeric_limits<std::int64_t>::max();
  int takeovers = 0;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    io::Prng rng(seed * 0x9e37'79b9'7f4a'7c15ULL);
    LeaseWorld world(seed, draw_world(rng));
    draw_slow_links(world, rng);
    world.start_witness();
    world.start_clients();
    world.client("node1").want_lease(true);
    world.client("node2").want_lease(true);

    for (int round = 0; round < kRoundsPerSeed; ++round) {
      ASSERT_TRUE(world.run_checked_for_ms(60'000, [&] { return !world.holder().empty(); }))
          << "nobody got the lease in round " << round << " (seed " << seed << ")";
      world.run_checked_for_ms(rng.between(0, 5'000));
      const std::string holder = world.holder();
      if (holder.empty()) continue;  // lost it to loss in the meantime: next round
      const auto fault = static_cast<Fault>(rng.below(kFaults));
      const std::size_t events_before = world.events().size();
      const bool takeover_expected = run_fault(world, rng, fault, holder);
      ASSERT_FALSE(::testing::Test::HasFatalFailure()) << "during: " << fault_name(fault) << " (seed " << seed << ")";
      if (takeover_expected) {
        EXPECT_TRUE(acquired_since(world, LeaseWorld::other(holder), events_before))
            << LeaseWorld::other(holder) << " never took over after: " << fault_name(fault) << " (seed " << seed << ")";
        ++takeovers;
      }
      world.run_checked_for_ms(rng.between(0, 15'000));
      ASSERT_FALSE(::testing::Test::HasFatalFailure()) << "after: " << fault_name(fault) << " (seed " << seed << ")";
    }
    if (world.min_handover_gap_ns()) min_gap_ns = std::min(min_gap_ns, *world.min_handover_gap_ns());
  }
  std::printf("%d expected takeovers; smallest handover gap %lld ms (kStepDownMs: %lld ms)\n", takeovers,
              static_cast<long long>(min_gap_ns / kMs), static_cast<long long>(core::witness::kStepDownMs));
  EXPECT_GT(takeovers, static_cast<int>(kSeeds / 2)) << "the faults should force many handovers";
}

}  // namespace
}  // namespace hamirror::witness_test
