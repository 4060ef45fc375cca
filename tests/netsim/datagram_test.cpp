#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cluster.h"

namespace hamirror::netsim {
namespace {

using testing::Cluster;
using testing::Received;

// node1.hb:5000 -> node2.hb:6000, with a receiver on node2.
struct DatagramPair {
  explicit DatagramPair(Cluster& cluster, const std::string& network = "hb") {
    receiver = std::move(cluster.net2->open_datagram({"node2." + network, 6000}, received.sink(cluster.scheduler)).value());
    sender = std::move(cluster.net1->open_datagram({"node1." + network, 5000}, [](auto&, auto) {}).value());
  }
  void send(const std::string& payload) {
    ASSERT_EQ(sender->send_to(receiver->local_address(), io::as_bytes(payload)), io::Error::ok);
  }
  Received received;
  std::unique_ptr<io::DatagramEndpoint> receiver;
  std::unique_ptr<io::DatagramEndpoint> sender;
};

TEST(NetsimDatagram, arrives_after_the_default_latency_and_never_inside_send) {
  Cluster cluster;
  DatagramPair pair(cluster);
  pair.send("ping");
  EXPECT_TRUE(pair.received.datagrams.empty());
  cluster.scheduler.run_for(kDefaultLatencyNs - 1);
  EXPECT_TRUE(pair.received.datagrams.empty());
  cluster.scheduler.run_for(1);
  ASSERT_EQ(pair.received.datagrams.size(), 1u);
  EXPECT_EQ(pair.received.datagrams[0].payload, "ping");
  EXPECT_EQ(pair.received.datagrams[0].from, (io::Address{"node1.hb", 5000}));
  EXPECT_EQ(pair.received.datagrams[0].at_ns, kDefaultLatencyNs);
  EXPECT_EQ(cluster.world.counters().datagrams_delivered, 1u);
}

TEST(NetsimDatagram, latency_is_drawn_between_min_and_twice_mean_minus_min) {
  Cluster cluster(7);
  LinkOptions link;
  link.latency_min_ns = 1 * io::kNsPerMs;
  link.latency_mean_ns = 3 * io::kNsPerMs;
  cluster.world.set_default_link(link);
  DatagramPair pair(cluster);
  constexpr int kCount = 2000;
  for (int i = 0; i < kCount; ++i) pair.send(std::to_string(i));
  cluster.scheduler.run_for(10 * io::kNsPerMs);
  ASSERT_EQ(pair.received.datagrams.size(), static_cast<std::size_t>(kCount));
  std::int64_t low = INT64_MAX, high = 0, sum = 0;
  for (const auto& d : pair.received.datagrams) {
    low = std::min(low, d.at_ns);
    high = std::max(high, d.at_ns);
    sum += d.at_ns;
  }
  EXPECT_GE(low, 1 * io::kNsPerMs);
  EXPECT_LE(high, 5 * io::kNsPerMs);
  EXPECT_LT(low, 1'100 * io::kNsPerUs);  // the whole range is used
  EXPECT_GT(high, 4'900 * io::kNsPerUs);
  const std::int64_t mean = sum / kCount;
  EXPECT_NEAR(static_cast<double>(mean), 3.0 * io::kNsPerMs, 0.1 * io::kNsPerMs);
}

TEST(NetsimDatagram, jitter_spreads_a_fixed_latency_but_never_below_the_minimum) {
  Cluster cluster(3);
  LinkOptions link;
  link.latency_min_ns = 1 * io::kNsPerMs;
  link.latency_mean_ns = 1 * io::kNsPerMs;
  link.jitter_ns = 500 * io::kNsPerUs;
  cluster.world.set_default_link(link);
  DatagramPair pair(cluster);
  for (int i = 0; i < 500; ++i) pair.send("x");
  cluster.scheduler.run_for(10 * io::kNsPerMs);
  ASSERT_EQ(pair.received.datagrams.size(), 500u);
  std::int64_t low = INT64_MAX, high = 0;
  for (const auto& d : pair.received.datagrams) {
    low = std::min(low, d.at_ns);
    high = std::max(high, d.at_ns);
  }
  EXPECT_EQ(low, 1 * io::kNsPerMs);
  EXPECT_GT(high, 1'400 * io::kNsPerUs);
  EXPECT_LE(high, 1'500 * io::kNsPerUs);
}

TEST(NetsimDatagram, loss_of_one_drops_every_datagram) {
  Cluster cluster;
  LinkOptions link;
  link.loss_probability = 1.0;
  cluster.world.set_default_link(link);
  DatagramPair pair(cluster);
  for (int i = 0; i < 100; ++i) pair.send("lost");
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_TRUE(pair.received.datagrams.empty());
  EXPECT_EQ(cluster.world.counters().datagrams_sent, 100u);
  EXPECT_EQ(cluster.world.counters().datagrams_dropped_loss, 100u);
}

TEST(NetsimDatagram, loss_of_a_quarter_drops_about_a_quarter) {
  Cluster cluster(42);
  LinkOptions link;
  link.loss_probability = 0.25;
  cluster.world.set_default_link(link);
  DatagramPair pair(cluster);
  constexpr int kCount = 4000;
  for (int i = 0; i < kCount; ++i) pair.send(std::to_string(i));
  cluster.scheduler.run_for(io::kNsPerS);
  const auto& counters = cluster.world.counters();
  EXPECT_EQ(counters.datagrams_delivered + counters.datagrams_dropped_loss, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(pair.received.datagrams.size(), counters.datagrams_delivered);
  // 1000 expected; the standard deviation is about 27.
  EXPECT_GT(counters.datagrams_dropped_loss, 850u);
  EXPECT_LT(counters.datagrams_dropped_loss, 1150u);
}

TEST(NetsimDatagram, duplication_of_one_delivers_every_datagram_twice) {
  Cluster cluster;
  LinkOptions link;
  link.duplicate_probability = 1.0;
  cluster.world.set_default_link(link);
  DatagramPair pair(cluster);
  pair.send("a");
  pair.send("b");
  cluster.scheduler.run_for(io::kNsPerS);
  auto payloads = pair.received.payloads();
  std::sort(payloads.begin(), payloads.end());
  EXPECT_EQ(payloads, (std::vector<std::string>{"a", "a", "b", "b"}));
  EXPECT_EQ(cluster.world.counters().datagrams_duplicated, 2u);
}

TEST(NetsimDatagram, without_reordering_datagrams_arrive_in_send_order) {
  Cluster cluster;
  DatagramPair pair(cluster);
  std::vector<std::string> sent;
  for (int i = 0; i < 50; ++i) {
    sent.push_back(std::to_string(i));
    pair.send(sent.back());
    cluster.scheduler.run_for(io::kNsPerUs);
  }
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(pair.received.payloads(), sent);
}

TEST(NetsimDatagram, reordering_actually_reorders) {
  Cluster cluster(9);
  LinkOptions link;
  link.reorder_probability = 0.3;
  link.reorder_delay_max_ns = 5 * io::kNsPerMs;
  cluster.world.set_default_link(link);
  DatagramPair pair(cluster);
  std::vector<std::string> sent;
  for (int i = 0; i < 100; ++i) {
    sent.push_back(std::to_string(i));
    pair.send(sent.back());
    cluster.scheduler.run_for(100 * io::kNsPerUs);
  }
  cluster.scheduler.run_for(io::kNsPerS);
  auto received = pair.received.payloads();
  EXPECT_NE(received, sent);  // out of order...
  std::sort(received.begin(), received.end());
  std::sort(sent.begin(), sent.end());
  EXPECT_EQ(received, sent);  // ...but all there, once
  EXPECT_GT(cluster.world.counters().datagrams_reordered, 10u);
}

TEST(NetsimDatagram, bandwidth_serialises_datagrams_on_a_link) {
  Cluster cluster;
  LinkOptions link;
  link.bandwidth_bytes_per_s = 1'000'000;  // 1000 bytes take 1 ms
  cluster.world.set_default_link(link);
  DatagramPair pair(cluster);
  for (int i = 0; i < 5; ++i) pair.send(std::string(1000, 'x'));
  cluster.scheduler.run_for(io::kNsPerS);
  ASSERT_EQ(pair.received.datagrams.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(pair.received.datagrams[i].at_ns, (i + 1) * io::kNsPerMs + kDefaultLatencyNs);
  }
}

TEST(NetsimDatagram, network_options_apply_to_that_network_and_host_pairs_override_them) {
  Cluster cluster;
  LinkOptions lossy;
  lossy.loss_probability = 1.0;
  cluster.world.set_network_link("hb", lossy);
  DatagramPair hb(cluster, "hb");
  DatagramPair repl(cluster, "repl");
  hb.send("hb");
  repl.send("repl");
  cluster.scheduler.run_for(io::kNsPerMs);
  EXPECT_TRUE(hb.received.datagrams.empty());
  EXPECT_EQ(repl.received.payloads(), (std::vector<std::string>{"repl"}));

  cluster.world.set_host_link("node1.hb", "node2.hb", LinkOptions{});
  hb.send("hb again");
  cluster.scheduler.run_for(io::kNsPerMs);
  EXPECT_EQ(hb.received.payloads(), (std::vector<std::string>{"hb again"}));
}

TEST(NetsimDatagram, oversized_or_portless_sends_fail_at_once) {
  Cluster cluster;
  DatagramPair pair(cluster);
  const std::string big(io::kMaxDatagramBytes + 1, 'x');
  EXPECT_EQ(pair.sender->send_to(pair.receiver->local_address(), io::as_bytes(big)), io::Error::message_too_large);
  EXPECT_EQ(pair.sender->send_to({"node2.hb", 0}, io::as_bytes("x")), io::Error::invalid_argument);
  const std::string largest(io::kMaxDatagramBytes, 'y');
  EXPECT_EQ(pair.sender->send_to(pair.receiver->local_address(), io::as_bytes(largest)), io::Error::ok);
  cluster.scheduler.run_for(io::kNsPerMs);
  ASSERT_EQ(pair.received.datagrams.size(), 1u);
  EXPECT_EQ(pair.received.datagrams[0].payload, largest);
}

TEST(NetsimDatagram, hosts_on_another_network_or_unknown_are_unroutable) {
  Cluster cluster;
  DatagramPair pair(cluster);
  Received repl;
  auto repl_endpoint = cluster.net2->open_datagram({"node2.repl", 6000}, repl.sink(cluster.scheduler));
  ASSERT_TRUE(repl_endpoint.ok());
  EXPECT_EQ(pair.sender->send_to({"node2.repl", 6000}, io::as_bytes("x")), io::Error::ok);
  EXPECT_EQ(pair.sender->send_to({"nowhere", 6000}, io::as_bytes("x")), io::Error::ok);
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_TRUE(repl.datagrams.empty());
  EXPECT_EQ(cluster.world.counters().datagrams_dropped_unroutable, 2u);
}

TEST(NetsimDatagram, a_destroyed_endpoint_receives_nothing_more) {
  Cluster cluster;
  DatagramPair pair(cluster);
  pair.send("in flight");
  pair.receiver.reset();
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_TRUE(pair.received.datagrams.empty());
  EXPECT_EQ(cluster.world.counters().datagrams_dropped_unroutable, 1u);
}

TEST(NetsimDatagram, a_receiver_may_destroy_itself_inside_its_callback) {
  Cluster cluster;
  std::unique_ptr<io::DatagramEndpoint> receiver;
  int calls = 0;
  receiver = std::move(cluster.net2
                           ->open_datagram({"node2.hb", 6000},
                                           [&](auto&, auto) {
                                             ++calls;
                                             receiver.reset();
                                           })
                           .value());
  auto sender = std::move(cluster.net1->open_datagram({"node1.hb", 0}, [](auto&, auto) {}).value());
  for (int i = 0; i < 3; ++i) ASSERT_EQ(sender->send_to({"node2.hb", 6000}, io::as_bytes("x")), io::Error::ok);
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace hamirror::netsim
