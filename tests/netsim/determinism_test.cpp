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

struct Outcome {
  std::uint64_t hash;
  std::vector<std::string> datagrams;
  std::string stream_bytes;
};

// A little of everything, with every fault the links have turned on.
Outcome run(std::uint64_t seed) {
  Cluster cluster(seed);
  LinkOptions link;
  link.latency_min_ns = 200 * io::kNsPerUs;
  link.latency_mean_ns = 1 * io::kNsPerMs;
  link.jitter_ns = 300 * io::kNsPerUs;
  link.loss_probability = 0.2;
  link.duplicate_probability = 0.1;
  link.reorder_probability = 0.2;
  link.bandwidth_bytes_per_s = 50'000'000;
  cluster.world.set_default_link(link);

  Received received;
  auto one = std::move(cluster.net1->open_datagram({"node1.hb", 0}, [](auto&, auto) {}).value());
  auto two = std::move(cluster.net2->open_datagram({"node2.hb", 6000}, received.sink(cluster.scheduler)).value());
  Stream stream(cluster);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(one->send_to(two->local_address(), io::as_bytes("beat " + std::to_string(i))), io::Error::ok);
    EXPECT_EQ(stream.client.connection->write(io::as_bytes(pattern(std::to_string(i), 3000)), [](io::Error) {}),
              io::Error::ok);
    if (i == 100) cluster.world.partition("node1", "node2");
    if (i == 150) cluster.world.heal_all();
    cluster.scheduler.run_for(5 * io::kNsPerMs);
  }
  cluster.scheduler.run_for(5 * io::kNsPerS);
  Outcome outcome{cluster.trace.hash(), received.payloads(), stream.server.data};
  return outcome;
}

TEST(NetsimDeterminism, the_same_seed_gives_the_same_trace_hash_and_deliveries) {
  const Outcome first = run(1234);
  const Outcome second = run(1234);
  EXPECT_EQ(first.hash, second.hash);
  EXPECT_EQ(first.datagrams, second.datagrams);
  EXPECT_EQ(first.stream_bytes, second.stream_bytes);
  EXPECT_FALSE(first.datagrams.empty());
  EXPECT_EQ(first.stream_bytes.size(), 200u * 3000u);
}

TEST(NetsimDeterminism, a_different_seed_gives_a_different_trace_hash) {
  const Outcome first = run(1234);
  const Outcome other = run(1235);
  EXPECT_NE(first.hash, other.hash);
  EXPECT_NE(first.datagrams, other.datagrams);
  EXPECT_EQ(first.stream_bytes, other.stream_bytes);  // streams lose nothing, whatever the seed
}

TEST(NetsimDeterminism, the_trace_covers_payloads) {
  auto run_with = [](const std::string& payload) {
    Cluster cluster;
    Received received;
    auto one = std::move(cluster.net1->open_datagram({"node1.hb", 5000}, [](auto&, auto) {}).value());
    auto two = std::move(cluster.net2->open_datagram({"node2.hb", 6000}, received.sink(cluster.scheduler)).value());
    EXPECT_EQ(one->send_to(two->local_address(), io::as_bytes(payload)), io::Error::ok);
    cluster.scheduler.run_for(io::kNsPerMs);
    return cluster.trace.hash();
  };
  EXPECT_NE(run_with("abcd"), run_with("abce"));
}

}  // namespace
}  // namespace hamirror::netsim
