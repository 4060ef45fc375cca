// The witness lease in the simulator: the real WitnessServer and LeaseClients on
// three simulated machines (node1, node2, witness), checked after every scheduler
// event (lease_world.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "fsim/faulty_fs.h"
#include "lease_world.h"

namespace hamirror::witness_test {
namespace {

using core::witness::kLeaseTermMs;
using core::witness::kRenewIntervalMs;
using core::witness::kWitnessGraceMs;

constexpr std::int64_t kMs = io::kNsPerMs;
constexpr std::int64_t kS = io::kNsPerS;
// How long a fresh witness grants nothing: one term plus grace.
constexpr std::int64_t kStartWaitNs = (kLeaseTermMs + kWitnessGraceMs) * kMs;

std::size_t count_events(const LeaseWorld& world, const std::string& node, bool acquired) {
  return static_cast<std::size_t>(std::count_if(world.events().begin(), world.events().end(), [&](const LeaseEvent& e) {
    return e.node == node && e.acquired == acquired;
  }));
}

std::string story(const LeaseWorld& world) {
  std::string out;
  for (const auto& e : world.events()) {
    out += std::to_string(e.real_ns / kMs) + " ms " + e.node + (e.acquired ? " acquired: " : " lost: ") + e.reason + "\n";
  }
  return out;
}

TEST(Lease, a_single_node_acquires_once_the_witness_startup_wait_is_over_and_keeps_renewing) {
  LeaseWorld world(1);
  world.start_witness();
  world.start_clients();
  world.client("node1").want_lease(true);

  ASSERT_TRUE(world.run_checked_for_ms(20'000, [&] { return world.client("node1").holds_lease(); }));
  EXPECT_GE(world.now_ns(), kStartWaitNs) << "a fresh witness waits a full term plus grace";
  EXPECT_LE(world.now_ns(), kStartWaitNs + (kRenewIntervalMs + 10) * kMs);
  EXPECT_EQ(world.client("node1").epoch(), 1u);

  // Two minutes of renewals: never a gap, by the check after every event.
  const bool lapsed = world.run_checked_for_ms(120'000, [&] { return !world.client("node1").holds_lease(); });
  EXPECT_FALSE(lapsed) << story(world);
  EXPECT_EQ(count_events(world, "node1", true), 1u) << story(world);
  EXPECT_EQ(count_events(world, "node1", false), 0u) << story(world);
  EXPECT_EQ(world.server().holder(), "node1");
  EXPECT_EQ(world.server().epoch(), 1u);
  EXPECT_GE(world.client("node1").requests_sent(), 130u);
  EXPECT_EQ(world.grants().size(), 1u);
  const std::string state = core::witness::encode_witness_state({1, 0});
  EXPECT_EQ(world.witness_machine().node.disk().durable_contents(kStatePath), io::Bytes(state.begin(), state.end()));
}

TEST(Lease, two_contending_nodes_never_hold_together_and_the_second_waits_for_the_first_to_stop_plus_the_term) {
  LeaseWorld world(2);
  world.start_witness();
  world.start_clients();
  world.client("node1").want_lease(true);
  world.client("node2").want_lease(true);

  ASSERT_TRUE(world.run_checked_for_ms(20'000, [&] { return !world.holder().empty(); }));
  const std::string first = world.holder();
  const std::string second = LeaseWorld::other(first);
  EXPECT_EQ(world.client(first).epoch(), 1u);

  // The second keeps asking and keeps being told who holds it.
  EXPECT_FALSE(world.run_checked_for_ms(60'000, [&] { return world.client(second).holds_lease(); }));
  EXPECT_EQ(count_events(world, second, true), 0u);

  world.client(first).want_lease(false);
  EXPECT_FALSE(world.client(first).holds_lease()) << "giving up ends the lease at once";
  const std::int64_t stopped_ns = world.now_ns();
  // Let the last renewal in flight arrive (latency 100 µs), then read when the
  // witness counts the first holder's term to end.
  world.run_checked_for_ms(5);
  const std::int64_t term_end_ns = world.server().term_end_ns();
  EXPECT_LE(term_end_ns, stopped_ns + kLeaseTermMs * kMs + kMs);
  EXPECT_GE(term_end_ns, stopped_ns + (kLeaseTermMs - kRenewIntervalMs) * kMs);

  ASSERT_TRUE(world.run_checked_for_ms(30'000, [&] { return world.client(second).holds_lease(); })) << story(world);
  EXPECT_GE(world.now_ns(), term_end_ns + kWitnessGraceMs * kMs) << "only after the term plus the grace";
  EXPECT_LE(world.now_ns(), term_end_ns + (kWitnessGraceMs + kRenewIntervalMs + 1) * kMs);
  EXPECT_EQ(world.client(second).epoch(), 2u) << "a new holder, a new epoch";
  EXPECT_EQ(world.server().holder(), second);
}

TEST(Lease, a_restarted_witness_keeps_epochs_growing_and_grants_nothing_for_a_term) {
  LeaseWorld world(3);
  world.start_witness();
  world.start_clients();
  world.client("node1").want_lease(true);
  world.client("node2").want_lease(true);
  ASSERT_TRUE(world.run_checked_for_ms(20'000, [&] { return world.grants().size() == 1; }));

  for (std::size_t restart = 1; restart <= 3; ++restart) {
    // A power cut right after the grant went out, in the same event: the epoch was
    // durable before the grant was sent, so the restarted witness starts above it.
    const std::uint64_t epoch_before = world.grants().back().second;
    world.restart_witness(/*power_cut=*/true);
    const std::int64_t restarted_ns = world.now_ns();

    ASSERT_TRUE(world.run_checked_for_ms(30'000, [&] { return world.grants().size() > restart; })) << story(world);
    EXPECT_GE(world.now_ns(), restarted_ns + kStartWaitNs) << "it forgot the holder, so it waits a whole term";
    EXPECT_LE(world.now_ns(), restarted_ns + kStartWaitNs + (kRenewIntervalMs + 10) * kMs);
    EXPECT_EQ(world.grants().back().second, epoch_before + 1) << "never an epoch twice";
  }
  ASSERT_TRUE(world.run_checked_for_ms(100, [&] { return !world.holder().empty(); }));
  // Each holder lost its lease during the wait (the check after every event saw no
  // overlap); the "lost" lines say why.
  EXPECT_GE(count_events(world, "node1", false) + count_events(world, "node2", false), 3u) << story(world);
}

TEST(Lease, a_failed_epoch_write_grants_nothing_and_its_epoch_is_never_used) {
  LeaseWorld world(4);
  Machine& witness = world.witness_machine();
  fsim::FaultyFs faulty(witness.node.disk(), world.scheduler(), io::Prng(4));
  io::Io faulty_io{witness.clock, witness.node.io().random, witness.network, faulty,
                   witness.node.io().processes, witness.node.io().services, witness.node.io().vip};
  faulty.fail_next(fsim::FaultKind::fsync, 1);
  world.start_witness(&faulty_io);
  world.start_clients();
  world.client("node1").want_lease(true);

  ASSERT_TRUE(world.run_checked_for_ms(30'000, [&] { return world.client("node1").holds_lease(); }));
  ASSERT_EQ(world.problems().size(), 1u);
  EXPECT_NE(world.problems()[0].find("cannot record epoch 1"), std::string::npos) << world.problems()[0];
  EXPECT_EQ(world.client("node1").epoch(), 2u) << "epoch 1 may have reached the disk: it is skipped";
}

TEST(Lease, a_witness_whose_epoch_file_is_unreadable_grants_nothing) {
  LeaseWorld world(5);
  world.witness_machine().node.disk().install_file(kStatePath, io::as_bytes("not a witness state\n"));
  world.start_witness();
  world.start_clients();
  world.client("node1").want_lease(true);
  EXPECT_FALSE(world.run_checked_for_ms(60'000, [&] { return world.client("node1").holds_lease(); }));
  ASSERT_EQ(world.problems().size(), 1u);
  EXPECT_NE(world.problems()[0].find("not a witness state file"), std::string::npos) << world.problems()[0];
}

TEST(Lease, a_request_under_an_unknown_name_is_reported_and_never_granted) {
  LeaseWorld world(6);
  world.start_witness();
  Machine& node2 = world.machine("node2");
  LeaseClient stranger(node2.io, {.node_name = "node3", .local = {node2.host, 7100}, .witness = {"10.0.0.3", kWitnessPort}},
                       {.on_acquired = [](std::uint64_t, const std::string&) { FAIL() << "a stranger got the lease"; },
                        .on_lost = [](const std::string&) {}});
  ASSERT_EQ(stranger.start(), io::Error::ok);
  stranger.want_lease(true);
  world.run_checked_for_ms(30'000);
  EXPECT_FALSE(stranger.holds_lease());
  ASSERT_FALSE(world.problems().empty());
  EXPECT_NE(world.problems()[0].find("unknown node 'node3'"), std::string::npos) << world.problems()[0];
}

// A node and a witness of different protocol versions (a half-done upgrade) cannot
// read each other: both say so in their logs instead of looking like a silent witness.
TEST(Lease, a_witness_and_a_node_of_another_protocol_version_say_so) {
  LeaseWorld world(6);
  world.start_witness();
  Machine& node2 = world.machine("node2");
  std::vector<std::string> client_problems;
  LeaseClient client(node2.io, {.node_name = "node2", .local = {node2.host, 7100}, .witness = {"10.0.0.3", kWitnessPort}},
                     {.on_acquired = [](std::uint64_t, const std::string&) {},
                      .on_lost = [](const std::string&) {},
                      .on_problem = [&](const std::string& problem) { client_problems.push_back(problem); }});
  ASSERT_EQ(client.start(), io::Error::ok);
  auto other_version = [](io::Bytes datagram) {
    datagram[5] = static_cast<std::uint8_t>(datagram[5] + 1);  // the version's low byte
    return datagram;
  };
  auto endpoint = node2.io.network.open_datagram({node2.host, 7200}, [](const io::Address&, io::ByteView) {});
  ASSERT_TRUE(endpoint.ok());
  const io::Bytes request = other_version(
      core::witness::encode_datagram(core::witness::LeaseRequest{.node_name = "node2", .client_nonce = 5, .request_id = 1}));
  const io::Bytes reply = other_version(core::witness::encode_datagram(core::witness::LeaseReply{
      .client_nonce = 5, .request_id = 1, .answer = core::witness::LeaseAnswer::starting, .free_in_ms = 100}));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(endpoint.value()->send_to({"10.0.0.3", kWitnessPort}, request), io::Error::ok);
    ASSERT_EQ(endpoint.value()->send_to({node2.host, 7100}, reply), io::Error::ok);
  }
  world.run_checked_for_ms(1'000);
  ASSERT_EQ(world.problems().size(), 1u) << "once, not once per datagram";
  EXPECT_NE(world.problems()[0].find("10.0.0.2 port 7200 dropped: frame 0: unknown protocol version " +
                                      std::to_string(core::wire::kProtocolVersion + 1)), std::string::npos)
      << world.problems()[0];
  ASSERT_EQ(client_problems.size(), 1u);
  EXPECT_NE(client_problems[0].find("the witness 10.0.0.3"), std::string::npos) << client_problems[0];
  EXPECT_NE(client_problems[0].find("same protocol version"), std::string::npos) << client_problems[0];
}

// A holder that freezes (no event of it runs: a stopped process, a paused VM) right
// after sending a renewal, so the grant for it waits in its socket. While it is frozen
// the other node takes over. When it resumes, the first thing that runs — a client's
// write arriving, held since the freeze — finds holds_lease() false, the first thing
// the node hears from its LeaseClient is on_lost, and the stale grant acquires nothing.
TEST(Lease, a_frozen_holder_that_resumes_sees_its_lease_lost_before_anything_else) {
  for (std::uint64_t seed = 100; seed < 120; ++seed) {
    LeaseWorld world(seed, {.node1_drift_ppm = -core::witness::kClockDriftMarginPpm,
                            .witness_drift_ppm = core::witness::kClockDriftMarginPpm});
    world.start_witness();
    world.start_clients();
    world.client("node1").want_lease(true);
    ASSERT_TRUE(world.run_checked_for_ms(20'000, [&] { return world.client("node1").holds_lease(); }));
    world.client("node2").want_lease(true);
    world.run_checked_for_ms(static_cast<std::int64_t>(seed % 7) * 700);

    // Freeze node1 just after it sends a renewal.
    LeaseClient& frozen = world.client("node1");
    const std::uint64_t sent = frozen.requests_sent();
    ASSERT_TRUE(world.step_checked(world.now_ns() + 2 * kS, [&] { return frozen.requests_sent() > sent; }));
    Machine& node1 = world.machine("node1");
    node1.clock.freeze();
    const std::size_t events_at_freeze = world.events().size();

    std::vector<std::string> after_resume;  // node1's story after it resumes
    bool write_acknowledged = false;
    node1.clock.run_or_hold([&] {
      after_resume.push_back(std::string("write arrives, holds_lease=") + (frozen.holds_lease() ? "true" : "false"));
      write_acknowledged = frozen.holds_lease();
    });

    ASSERT_TRUE(world.run_checked_for_ms(40'000, [&] { return world.client("node2").holds_lease(); })) << story(world);
    EXPECT_EQ(world.events().size(), events_at_freeze + 1) << "only node2's acquisition while node1 is frozen";
    world.run_checked_for_ms(static_cast<std::int64_t>(seed % 5) * 1'000);

    node1.clock.thaw();
    world.run_checked_for_ms(5'000);
    EXPECT_FALSE(write_acknowledged) << "seed " << seed;
    ASSERT_FALSE(after_resume.empty());
    EXPECT_EQ(after_resume.front(), "write arrives, holds_lease=false");
    std::vector<LeaseEvent> node1_after;
    for (std::size_t i = events_at_freeze; i < world.events().size(); ++i) {
      if (world.events()[i].node == "node1") node1_after.push_back(world.events()[i]);
    }
    ASSERT_EQ(node1_after.size(), 1u) << story(world);
    EXPECT_FALSE(node1_after[0].acquired) << "the stale grant in its socket acquired something: " << story(world);
    EXPECT_NE(node1_after[0].reason.find("ran out"), std::string::npos) << node1_after[0].reason;
    EXPECT_TRUE(world.client("node2").holds_lease());
  }
}

TEST(Lease, the_same_seed_tells_the_same_story) {
  auto run = [](std::uint64_t seed) {
    netsim::Options options;
    options.link.jitter_ns = 5 * kMs;
    options.link.loss_probability = 0.1;
    LeaseWorld world(seed, {.network = options});
    world.start_witness();
    world.start_clients();
    world.client("node1").want_lease(true);
    world.client("node2").want_lease(true);
    world.run_checked_for_ms(30'000);
    world.cluster().world().partition("node1", "witness");
    world.cluster().world().partition("node2", "witness");
    world.run_checked_for_ms(30'000);
    world.cluster().world().heal_all();
    world.run_checked_for_ms(30'000);
    return std::make_pair(story(world), world.cluster().trace().hash());
  };
  const auto first = run(77);
  EXPECT_EQ(first, run(77));
  EXPECT_NE(first.second, run(78).second);
}


// node1 holds the lease and records a new generation (a write waits to be
// acknowledged alone on it); node2's copy is the generation node1 left. Whatever happens next, node2 is
// not granted the lease on that copy — not after node1 stops renewing, not after the
// witness loses power and restarts — until an admin forces it (primforce).
TEST(Lease, a_node_whose_data_is_older_than_what_the_holder_recorded_is_granted_only_by_primforce) {
  LeaseWorld world(4);
  world.start_witness();
  world.start_clients();
  world.client("node1").set_data({.generation = 10, .history = {}});
  world.client("node1").want_lease(true);
  ASSERT_TRUE(world.run_checked_for_ms(20'000, [&] { return world.client("node1").may_acknowledge_alone(10); }));
  world.client("node1").set_data({.generation = 11, .history = {10}});
  EXPECT_FALSE(world.client("node1").may_acknowledge_alone(11)) << "not before the witness recorded it";
  ASSERT_TRUE(world.run_checked_for_ms(1'000, [&] { return world.client("node1").may_acknowledge_alone(11); }));
  EXPECT_EQ(world.server().data_generation(), 11u);

  world.client("node2").set_data({.generation = 10, .history = {}});
  world.client("node2").want_lease(true);
  world.client("node1").want_lease(false);
  EXPECT_FALSE(world.run_checked_for_ms(60'000, [&] { return world.client("node2").holds_lease(); })) << story(world);
  world.restart_witness(/*power_cut=*/true);
  EXPECT_FALSE(world.run_checked_for_ms(60'000, [&] { return world.client("node2").holds_lease(); })) << story(world);
  EXPECT_EQ(world.server().data_generation(), 11u) << "the record survived the power cut";

  world.client("node2").set_data({.generation = 10, .history = {}, .force = true});
  ASSERT_TRUE(world.run_checked_for_ms(1'000, [&] { return world.client("node2").holds_lease_for(10); })) << story(world);
  EXPECT_EQ(world.server().holder(), "node2");
  EXPECT_EQ(world.server().data_generation(), 10u) << "primforce records the forced copy at the grant";
}

// A split brain the admin settled for node2 with `prim` (its record discards node1's
// generation 11, which the witness recorded): node2 is granted the lease on its own
// side, without primforce. Only that generation: had node1 gone on to 12 since, the
// record would name 12 and node2 would still be refused.
TEST(Lease, a_node_whose_admin_discarded_the_recorded_generation_is_granted) {
  LeaseWorld world(6);
  world.start_witness();
  world.start_clients();
  world.client("node1").set_data({.generation = 11, .history = {10}});
  world.client("node1").want_lease(true);
  ASSERT_TRUE(world.run_checked_for_ms(20'000, [&] { return world.client("node1").may_acknowledge_alone(11); }));
  world.client("node1").want_lease(false);
  world.client("node2").set_data({.generation = 20, .history = {10}, .discarded = {12}});
  world.client("node2").want_lease(true);
  EXPECT_FALSE(world.run_checked_for_ms(60'000, [&] { return world.client("node2").holds_lease(); }))
      << "a discard of another generation is no answer to 11";
  world.client("node2").set_data({.generation = 20, .history = {10}, .discarded = {11, 12}});
  ASSERT_TRUE(world.run_checked_for_ms(1'000, [&] { return world.client("node2").may_acknowledge_alone(20); })) << story(world);
  EXPECT_EQ(world.server().data_generation(), 20u);
}

// The other way round: a node whose history holds the recorded generation has the
// holder's data and more (it was reintegrated, then went on): it is granted.
TEST(Lease, a_node_whose_data_is_newer_than_what_the_holder_recorded_is_granted) {
  LeaseWorld world(5);
  world.start_witness();
  world.start_clients();
  world.client("node1").set_data({.generation = 10, .history = {}});
  world.client("node1").want_lease(true);
  ASSERT_TRUE(world.run_checked_for_ms(20'000, [&] { return world.client("node1").may_acknowledge_alone(10); }));
  world.client("node2").set_data({.generation = 12, .history = {11, 10}});
  world.client("node2").want_lease(true);
  world.client("node1").want_lease(false);
  ASSERT_TRUE(world.run_checked_for_ms(30'000, [&] { return world.client("node2").may_acknowledge_alone(12); })) << story(world);
  EXPECT_EQ(world.server().data_generation(), 12u);
}

// Property counterexample 622878: node2, cut off, asked for the lease (an admin prim)
// and was granted it just as it met node1 and became its reintegration target, so it
// gave the lease back without acknowledging anything alone. The witness must keep
// its record as it was (none here): node1, whose copy has no common history with
// node2's and is the only one holding the data, is granted the lease next. Recording
// node2's generation at the grant refused node1 for good ("only primforce").
TEST(Lease, a_lease_given_back_without_acknowledging_alone_leaves_the_record_as_it_was) {
  LeaseWorld world(6);
  world.start_witness();
  world.start_clients();
  world.client("node2").set_data({.generation = 20, .history = {}});
  world.client("node2").want_lease(true);
  ASSERT_TRUE(world.run_checked_for_ms(20'000, [&] { return world.client("node2").holds_lease(); })) << story(world);
  world.run_checked_for_ms(3'000);  // renewals carry the generation, but ask for no record
  EXPECT_TRUE(world.client("node2").holds_lease());
  EXPECT_FALSE(world.client("node2").holds_lease_for(20)) << "recorded though it acknowledged nothing alone";
  EXPECT_EQ(world.server().data_generation(), 0u);
  world.client("node2").want_lease(false);

  world.client("node1").set_data({.generation = 10, .history = {}});
  world.client("node1").want_lease(true);
  ASSERT_TRUE(world.run_checked_for_ms(60'000, [&] { return world.client("node1").may_acknowledge_alone(10); }))
      << story(world);
  EXPECT_EQ(world.server().holder(), "node1");
  EXPECT_EQ(world.server().data_generation(), 10u) << "recorded once node1 was about to acknowledge alone";
}

}  // namespace
}  // namespace hamirror::witness_test
