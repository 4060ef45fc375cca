// The LeaseClient's rules one by one, against a scripted witness: the test decides
// what each request gets back and when, so each rule shows on its own.
#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "core/witness/lease_client.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::core::witness {
namespace {

constexpr std::int64_t kMs = io::kNsPerMs;
constexpr std::int64_t kLeaseNs = (kLeaseTermMs - kClockDriftMarginMs) * kMs;

struct Received {
  std::int64_t at_ns = 0;
  io::Address from;
  LeaseRequest request;
};

// node1 runs the client; "witness" is a bare endpoint the test answers by hand.
class ScriptedWitness : public ::testing::Test {
 protected:
  ScriptedWitness() : cluster_(11) {
    std::printf("seed %llu\n", static_cast<unsigned long long>(cluster_.seed()));
    cluster_.add_node({.name = "node1", .hosts = {{"lan", "10.0.0.1"}}});
    sim::SimNode& witness = cluster_.add_node({.name = "witness", .hosts = {{"lan", "10.0.0.3"}}});
    auto endpoint = witness.io().network.open_datagram({"10.0.0.3", 7000}, [this](const io::Address& from, io::ByteView d) {
      auto request = decode_datagram<LeaseRequest>(d);
      ASSERT_TRUE(request.ok()) << request.error();
      received_.push_back({now_ns(), from, request.value()});
    });
    EXPECT_TRUE(endpoint.ok());
    endpoint_ = std::move(endpoint).value();
    client_ = std::make_unique<LeaseClient>(
        cluster_.node("node1").io(),
        LeaseClientConfig{.node_name = "node1", .local = {"10.0.0.1", 7001}, .witness = {"10.0.0.3", 7000}},
        LeaseClient::Listener{.on_acquired = [this](std::uint64_t epoch, const std::string&) {
                                story_.push_back("acquired " + std::to_string(epoch));
                              },
                              .on_lost = [this](const std::string& reason) { story_.push_back("lost: " + reason); }});
    EXPECT_EQ(client_->start(), io::Error::ok);
  }

  std::int64_t now_ns() { return cluster_.scheduler().now_ns(); }
  void run_ms(std::int64_t ms) { cluster_.scheduler().run_for(ms * kMs); }

  // The request's send time: the link's latency is a fixed 100 µs.
  static std::int64_t sent_ns(const Received& r) { return r.at_ns - netsim::kDefaultLatencyNs; }

  void answer(const Received& r, LeaseAnswer answer, std::uint64_t epoch = 1, std::uint64_t term_ms = kLeaseTermMs,
              std::uint64_t nonce_delta = 0) {
    const LeaseReply reply{.client_nonce = r.request.client_nonce + nonce_delta, .request_id = r.request.request_id,
                           .answer = answer, .epoch = epoch, .holder = answer == LeaseAnswer::granted ? "node1" : "node2",
                           .term_ms = term_ms, .free_in_ms = 0};
    ASSERT_EQ(endpoint_->send_to(r.from, encode_datagram(reply)), io::Error::ok);
  }

  sim::SimCluster cluster_;
  std::unique_ptr<io::DatagramEndpoint> endpoint_;
  std::unique_ptr<LeaseClient> client_;
  std::deque<Received> received_;
  std::vector<std::string> story_;
};

TEST_F(ScriptedWitness, asks_at_once_when_the_lease_becomes_wanted_then_once_per_interval) {
  run_ms(5'000);
  EXPECT_TRUE(received_.empty()) << "nothing is asked before want_lease(true)";
  client_->want_lease(true);
  run_ms(kRenewIntervalMs * 10 + 1);
  ASSERT_EQ(received_.size(), 11u);
  EXPECT_EQ(received_[0].at_ns, 5'000 * kMs + netsim::kDefaultLatencyNs);
  for (std::size_t i = 0; i < received_.size(); ++i) EXPECT_EQ(received_[i].request.request_id, i + 1);
  EXPECT_EQ(received_[1].at_ns - received_[0].at_ns, kRenewIntervalMs * kMs);
}

TEST_F(ScriptedWitness, a_late_grant_counts_from_the_moment_the_request_was_sent) {
  client_->want_lease(true);
  run_ms(1);
  const Received first = received_.front();
  run_ms(3'000);  // the grant is held back three seconds
  answer(first, LeaseAnswer::granted);
  run_ms(1);
  ASSERT_TRUE(client_->holds_lease());
  EXPECT_EQ(client_->lease_end_ns(), sent_ns(first) + kLeaseNs);
  // Only the first request is ever answered: the lease ends exactly T − D after it was
  // sent, not after the grant arrived.
  received_.clear();
  cluster_.scheduler().run_until([&] { return !client_->holds_lease(); }, sent_ns(first) + kLeaseNs + kMs);
  EXPECT_EQ(now_ns(), sent_ns(first) + kLeaseNs);
  EXPECT_EQ(story_, (std::vector<std::string>{"acquired 1", story_.back()}));
  EXPECT_NE(story_.back().find("ran out"), std::string::npos);
}

TEST_F(ScriptedWitness, a_grant_that_arrives_after_its_lease_would_have_ended_acquires_nothing) {
  client_->want_lease(true);
  run_ms(1);
  const Received first = received_.front();
  run_ms(kLeaseTermMs);
  answer(first, LeaseAnswer::granted);
  run_ms(1);
  EXPECT_FALSE(client_->holds_lease());
  EXPECT_TRUE(story_.empty());
}

TEST_F(ScriptedWitness, renewals_extend_the_lease_and_duplicates_or_older_answers_change_nothing) {
  client_->want_lease(true);
  run_ms(kRenewIntervalMs * 2 + 1);
  ASSERT_EQ(received_.size(), 3u);
  answer(received_[2], LeaseAnswer::granted);
  answer(received_[2], LeaseAnswer::granted);  // a duplicate
  answer(received_[0], LeaseAnswer::granted);  // older, arriving later
  answer(received_[1], LeaseAnswer::held_by_other, 1);  // an older refusal
  run_ms(1);
  ASSERT_TRUE(client_->holds_lease());
  EXPECT_EQ(client_->lease_end_ns(), sent_ns(received_[2]) + kLeaseNs);
  EXPECT_EQ(story_, std::vector<std::string>{"acquired 1"});
}

TEST_F(ScriptedWitness, a_refusal_of_a_newer_request_ends_the_lease_at_once) {
  client_->want_lease(true);
  run_ms(kRenewIntervalMs + 1);
  answer(received_[0], LeaseAnswer::granted);
  run_ms(1);
  ASSERT_TRUE(client_->holds_lease());
  answer(received_[1], LeaseAnswer::held_by_other, 2);
  run_ms(1);
  EXPECT_FALSE(client_->holds_lease());
  ASSERT_EQ(story_.size(), 2u);
  EXPECT_EQ(story_[1], "lost: the witness says node2 holds the lease (epoch 2)");
}

TEST_F(ScriptedWitness, a_reply_with_another_nonce_is_meant_for_an_earlier_run_and_ignored) {
  client_->want_lease(true);
  run_ms(1);
  answer(received_[0], LeaseAnswer::granted, 1, kLeaseTermMs, /*nonce_delta=*/1);
  run_ms(1);
  EXPECT_FALSE(client_->holds_lease());
  answer(received_[0], LeaseAnswer::granted);
  run_ms(1);
  EXPECT_TRUE(client_->holds_lease());
}

TEST_F(ScriptedWitness, a_witness_with_a_shorter_term_shortens_the_lease) {
  client_->want_lease(true);
  run_ms(1);
  answer(received_[0], LeaseAnswer::granted, 1, /*term_ms=*/3'000);
  run_ms(1);
  ASSERT_TRUE(client_->holds_lease());
  EXPECT_EQ(client_->lease_end_ns(), sent_ns(received_[0]) + (3'000 - kClockDriftMarginMs) * kMs);
}

TEST_F(ScriptedWitness, giving_the_lease_up_ends_it_at_once_and_later_grants_for_earlier_requests_do_not_count) {
  client_->want_lease(true);
  run_ms(kRenewIntervalMs + 1);
  answer(received_[0], LeaseAnswer::granted);
  run_ms(1);
  ASSERT_TRUE(client_->holds_lease());
  client_->want_lease(false);
  EXPECT_FALSE(client_->holds_lease());
  EXPECT_EQ(story_.back(), "lost: the node gave the lease up");
  client_->want_lease(true);
  answer(received_[1], LeaseAnswer::granted);  // asked before giving up
  run_ms(1);
  EXPECT_FALSE(client_->holds_lease());
  answer(received_.back(), LeaseAnswer::granted);  // asked after
  run_ms(1);
  EXPECT_TRUE(client_->holds_lease());
}

}  // namespace
}  // namespace hamirror::core::witness
