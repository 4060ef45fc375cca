#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster.h"

namespace hamirror::netsim {
namespace {

using testing::Cluster;
using testing::pattern;
using testing::Received;
using testing::Stream;

// A datagram endpoint on each node, on one network, port 6000.
struct Heartbeats {
  explicit Heartbeats(Cluster& cluster, const std::string& network = "hb") : cluster(cluster) {
    one = std::move(cluster.net1->open_datagram({"node1." + network, 6000}, at_one.sink(cluster.scheduler)).value());
    two = std::move(cluster.net2->open_datagram({"node2." + network, 6000}, at_two.sink(cluster.scheduler)).value());
  }
  // Each node sends one datagram to the other, then time passes.
  void exchange() {
    ASSERT_EQ(one->send_to(two->local_address(), io::as_bytes("from 1")), io::Error::ok);
    ASSERT_EQ(two->send_to(one->local_address(), io::as_bytes("from 2")), io::Error::ok);
    cluster.scheduler.run_for(io::kNsPerMs);
  }
  Cluster& cluster;
  Received at_one;
  Received at_two;
  std::unique_ptr<io::DatagramEndpoint> one;
  std::unique_ptr<io::DatagramEndpoint> two;
};

TEST(NetsimPartition, partition_drops_datagrams_both_ways_until_healed) {
  Cluster cluster;
  Heartbeats hb(cluster);
  cluster.world.partition("node1", "node2");
  hb.exchange();
  EXPECT_TRUE(hb.at_one.datagrams.empty());
  EXPECT_TRUE(hb.at_two.datagrams.empty());
  EXPECT_EQ(cluster.world.counters().datagrams_dropped_partition, 2u);
  cluster.world.heal("node1", "node2");
  hb.exchange();
  EXPECT_EQ(hb.at_one.payloads(), (std::vector<std::string>{"from 2"}));
  EXPECT_EQ(hb.at_two.payloads(), (std::vector<std::string>{"from 1"}));
}

// The fault runner judges who could hear whom from this: deliveries only, with the
// sending and receiving nodes and the port.
TEST(NetsimPartition, the_delivery_observer_sees_delivered_datagrams_not_dropped_ones) {
  Cluster cluster;
  Heartbeats hb(cluster);
  std::vector<std::string> seen;
  cluster.world.set_delivery_observer([&](const std::string& from, const std::string& to, std::uint16_t port) {
    seen.push_back(from + ">" + to + ":" + std::to_string(port));
  });
  cluster.world.partition("node1", "node2", Direction::one_way);
  hb.exchange();
  EXPECT_EQ(seen, (std::vector<std::string>{"node2>node1:6000"}));
}

TEST(NetsimPartition, a_datagram_on_the_wire_when_the_cut_comes_is_dropped) {
  Cluster cluster;
  Heartbeats hb(cluster);
  ASSERT_EQ(hb.one->send_to(hb.two->local_address(), io::as_bytes("x")), io::Error::ok);
  cluster.world.partition("node1", "node2");
  cluster.scheduler.run_for(io::kNsPerMs);
  EXPECT_TRUE(hb.at_two.datagrams.empty());
}

TEST(NetsimPartition, one_way_partition_drops_one_direction_only) {
  Cluster cluster;
  Heartbeats hb(cluster);
  cluster.world.partition("node1", "node2", Direction::one_way);
  EXPECT_TRUE(cluster.world.partitioned("node1", "node2", "hb"));
  EXPECT_FALSE(cluster.world.partitioned("node2", "node1", "hb"));
  hb.exchange();
  EXPECT_TRUE(hb.at_two.datagrams.empty());
  EXPECT_EQ(hb.at_one.payloads(), (std::vector<std::string>{"from 2"}));
}

TEST(NetsimPartition, a_partition_of_one_network_leaves_the_other_working) {
  Cluster cluster;
  Heartbeats hb(cluster, "hb");
  Heartbeats repl(cluster, "repl");
  Stream stream(cluster, "repl");
  cluster.world.partition("node1", "node2", Direction::both, "hb");
  hb.exchange();
  repl.exchange();
  ASSERT_EQ(stream.client.connection->write(io::as_bytes("still flowing"), [](io::Error) {}), io::Error::ok);
  cluster.scheduler.run_for(30 * io::kNsPerS);  // well past the break timeout
  EXPECT_TRUE(hb.at_one.datagrams.empty());
  EXPECT_TRUE(hb.at_two.datagrams.empty());
  EXPECT_EQ(repl.at_two.payloads(), (std::vector<std::string>{"from 1"}));
  EXPECT_EQ(stream.server.data, "still flowing");
  EXPECT_TRUE(stream.server.closes.empty());
  EXPECT_EQ(cluster.world.counters().stream_breaks, 0u);

  // Healing the other network changes nothing; healing this one restores it.
  cluster.world.heal("node1", "node2", "repl");
  hb.exchange();
  EXPECT_TRUE(hb.at_two.datagrams.empty());
  cluster.world.heal("node1", "node2", "hb");
  hb.exchange();
  EXPECT_EQ(hb.at_two.payloads(), (std::vector<std::string>{"from 1"}));
}

TEST(NetsimPartition, a_shorter_partition_delivers_every_byte_after_heal_in_order) {
  Cluster cluster;
  Stream stream(cluster);
  cluster.world.partition("node1", "node2");
  std::string sent;
  std::vector<io::Error> results;
  for (int i = 0; i < 40; ++i) {
    const std::string piece = pattern("s" + std::to_string(i), 50'000);
    ASSERT_EQ(stream.client.connection->write(io::as_bytes(piece), [&](io::Error r) { results.push_back(r); }),
              io::Error::ok);
    sent += piece;
    cluster.scheduler.run_for(100 * io::kNsPerMs);
  }
  EXPECT_TRUE(stream.server.data.empty());
  EXPECT_GT(cluster.world.counters().stream_chunks_held, 0u);
  cluster.scheduler.run_for(5 * io::kNsPerS);  // 9 s cut in all, under the 10 s break
  cluster.world.heal("node1", "node2");
  EXPECT_TRUE(stream.server.data.empty());  // one latency after heal, not inside it
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_EQ(stream.server.data, sent);
  EXPECT_EQ(results, std::vector<io::Error>(40, io::Error::ok));
  EXPECT_TRUE(stream.client.closes.empty());
  EXPECT_TRUE(stream.server.closes.empty());
  cluster.scheduler.run_for(30 * io::kNsPerS);
  EXPECT_EQ(cluster.world.counters().stream_breaks, 0u);
}

TEST(NetsimPartition, a_partition_longer_than_the_break_timeout_breaks_the_stream_at_both_ends) {
  Cluster cluster;
  Stream stream(cluster);
  std::int64_t client_closed_ns = -1;
  const std::int64_t cut_ns = cluster.now_ns();
  cluster.world.partition("node1", "node2");
  std::vector<io::Error> results;
  ASSERT_EQ(stream.client.connection->write(io::as_bytes(pattern("q", 3'000'000)),
                                            [&](io::Error r) {
                                              results.push_back(r);
                                              client_closed_ns = cluster.now_ns();
                                            }),
            io::Error::ok);
  cluster.scheduler.run_for(cluster.world.options().stream_break_timeout_ns - 1);
  EXPECT_TRUE(stream.client.closes.empty());
  cluster.scheduler.run_for(1);
  EXPECT_EQ(stream.client.closes, (std::vector<io::Error>{io::Error::timed_out}));
  EXPECT_EQ(stream.server.closes, (std::vector<io::Error>{io::Error::timed_out}));
  // The write that never got through completes with the error, before on_close.
  EXPECT_EQ(results, (std::vector<io::Error>{io::Error::timed_out}));
  EXPECT_EQ(client_closed_ns, cut_ns + cluster.world.options().stream_break_timeout_ns);
  EXPECT_EQ(stream.client.connection->pending_write_bytes(), 0u);
  EXPECT_EQ(cluster.world.counters().stream_breaks, 1u);

  cluster.world.heal("node1", "node2");
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_TRUE(stream.server.data.empty());
  EXPECT_EQ(stream.client.closes.size(), 1u);
  EXPECT_EQ(stream.client.connection->write(io::as_bytes("x"), [](io::Error) {}), io::Error::bad_handle);
}

TEST(NetsimPartition, a_one_way_partition_breaks_an_idle_stream_too) {
  Options options;
  options.stream_break_timeout_ns = 3 * io::kNsPerS;
  Cluster cluster(1, options);
  Stream stream(cluster);
  cluster.world.partition("node2", "node1", Direction::one_way);
  cluster.scheduler.run_for(4 * io::kNsPerS);
  EXPECT_EQ(stream.client.closes, (std::vector<io::Error>{io::Error::timed_out}));
  EXPECT_EQ(stream.server.closes, (std::vector<io::Error>{io::Error::timed_out}));
}

TEST(NetsimPartition, the_break_timer_restarts_after_each_heal) {
  Cluster cluster;
  Stream stream(cluster);
  for (int i = 0; i < 3; ++i) {
    cluster.world.partition("node1", "node2");
    cluster.scheduler.run_for(8 * io::kNsPerS);
    cluster.world.heal("node1", "node2");
    cluster.scheduler.run_for(io::kNsPerMs);
  }
  EXPECT_TRUE(stream.client.closes.empty());
  EXPECT_EQ(cluster.world.counters().stream_breaks, 0u);
}

TEST(NetsimPartition, connect_across_a_partition_times_out_after_the_connect_timeout) {
  Cluster cluster;
  auto listener = cluster.net2->listen({"node2.repl", 7000}, [](auto) { ADD_FAILURE() << "accepted"; });
  cluster.world.partition("node1", "node2");
  io::Error error = io::Error::ok;
  std::int64_t at_ns = -1;
  cluster.net1->connect({"node2.repl", 7000}, [&](auto result) {
    error = result.error();
    at_ns = cluster.now_ns();
  });
  cluster.scheduler.run_for(30 * io::kNsPerS);
  EXPECT_EQ(error, io::Error::timed_out);
  EXPECT_EQ(at_ns, cluster.world.options().connect_timeout_ns);
  EXPECT_EQ(cluster.world.counters().connects_timed_out, 1u);
}

TEST(NetsimPartition, connect_succeeds_when_the_partition_heals_in_time) {
  Cluster cluster;
  std::unique_ptr<io::StreamConnection> server;
  auto listener = cluster.net2->listen({"node2.repl", 7000}, [&](auto connection) { server = std::move(connection); });
  cluster.world.partition("node1", "node2", Direction::one_way);  // the answers could not come back
  std::unique_ptr<io::StreamConnection> client;
  cluster.net1->connect({"node2.repl", 7000}, [&](auto result) { client = std::move(result.value()); });
  cluster.scheduler.run_for(1500 * io::kNsPerMs);
  EXPECT_EQ(server, nullptr);
  cluster.world.heal("node1", "node2");
  cluster.scheduler.run_for(io::kNsPerS);
  EXPECT_NE(server, nullptr);
  EXPECT_NE(client, nullptr);
}

}  // namespace
}  // namespace hamirror::netsim
