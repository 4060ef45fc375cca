#include <gtest/gtest.h>

#include "cluster.h"

namespace hamirror::netsim {
namespace {

using testing::Cluster;

const auto kIgnore = [](const io::Address&, io::ByteView) {};

TEST(NetsimBinding, binding_a_host_the_node_does_not_own_fails_with_address_unavailable) {
  Cluster cluster;
  EXPECT_EQ(cluster.net1->open_datagram({"node2.hb", 5000}, kIgnore).error(), io::Error::address_unavailable);
  EXPECT_EQ(cluster.net1->open_datagram({"10.9.9.9", 5000}, kIgnore).error(), io::Error::address_unavailable);
  EXPECT_EQ(cluster.net1->listen({"node2.repl", 7000}, [](auto) {}).error(), io::Error::address_unavailable);
}

TEST(NetsimBinding, binding_a_used_port_fails_with_address_in_use_until_it_is_released) {
  Cluster cluster;
  auto first = cluster.net1->open_datagram({"node1.hb", 5000}, kIgnore);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(cluster.net1->open_datagram({"node1.hb", 5000}, kIgnore).error(), io::Error::address_in_use);
  // Streams have their own port space, and another host its own ports.
  auto listener = cluster.net1->listen({"node1.hb", 5000}, [](auto) {});
  EXPECT_TRUE(listener.ok());
  EXPECT_TRUE(cluster.net1->open_datagram({"node1.repl", 5000}, kIgnore).ok());
  EXPECT_EQ(cluster.net1->listen({"node1.hb", 5000}, [](auto) {}).error(), io::Error::address_in_use);
  first.value().reset();
  EXPECT_TRUE(cluster.net1->open_datagram({"node1.hb", 5000}, kIgnore).ok());
}

TEST(NetsimBinding, port_zero_gets_the_next_free_ephemeral_port) {
  Cluster cluster;
  auto taken = cluster.net1->open_datagram({"node1.hb", static_cast<std::uint16_t>(kFirstEphemeralPort + 1)}, kIgnore);
  ASSERT_TRUE(taken.ok());
  auto a = cluster.net1->open_datagram({"node1.hb", 0}, kIgnore);
  auto b = cluster.net1->open_datagram({"node1.hb", 0}, kIgnore);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value()->local_address(), (io::Address{"node1.hb", kFirstEphemeralPort}));
  EXPECT_EQ(b.value()->local_address(), (io::Address{"node1.hb", static_cast<std::uint16_t>(kFirstEphemeralPort + 2)}));
}

}  // namespace
}  // namespace hamirror::netsim
