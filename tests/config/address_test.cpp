#include <gtest/gtest.h>

#include "config/address.h"

namespace hamirror::config {
namespace {

TEST(Address, ipv4_literals_are_four_decimal_octets_without_leading_zeros) {
  const auto address = parse_ip_literal("192.168.1.10");
  ASSERT_TRUE(address.has_value());
  EXPECT_EQ(address->family, IpAddress::Family::v4);
  EXPECT_EQ(address->bytes[0], 192);
  EXPECT_EQ(address->bytes[3], 10);
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "1..2.3", "a.b.c.d", "1.2.3.4 ",
                          "VIRTUAL_TO_BE_DEFINED"}) {
    EXPECT_FALSE(parse_ip_literal(bad).has_value()) << bad;
  }
}

TEST(Address, ipv6_literals_with_compression_and_an_ipv4_tail) {
  const auto loopback = parse_ip_literal("::1");
  ASSERT_TRUE(loopback.has_value());
  EXPECT_EQ(loopback->family, IpAddress::Family::v6);
  EXPECT_EQ(loopback->bytes[15], 1);
  const auto mapped = parse_ip_literal("::ffff:192.168.1.10");
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(mapped->bytes[10], 0xFF);
  EXPECT_EQ(mapped->bytes[12], 192);
  EXPECT_TRUE(parse_ip_literal("fe80::1:2").has_value());
  EXPECT_TRUE(parse_ip_literal("2001:db8:0:0:0:0:2:1").has_value());
  EXPECT_TRUE(parse_ip_literal("::").has_value());
  for (const char* bad : {":::", "1::2::3", "12345::", "2001:db8:0:0:0:0:2:1:9", "2001:db8", "g::1", "[::1]",
                          "fe80::1%eth0", "1:2:3:4:5:6:7::8"}) {
    EXPECT_FALSE(parse_ip_literal(bad).has_value()) << bad;
  }
}

TEST(Address, addresses_other_machines_cannot_reach_are_not_virtual_ips) {
  EXPECT_EQ(virtual_ip_problem(*parse_ip_literal("127.0.0.5")), "is a loopback address");
  EXPECT_EQ(virtual_ip_problem(*parse_ip_literal("0.0.0.0")), "is not a host address (0.x.x.x)");
  EXPECT_EQ(virtual_ip_problem(*parse_ip_literal("239.1.1.1")), "is a multicast address");
  EXPECT_EQ(virtual_ip_problem(*parse_ip_literal("255.255.255.255")), "is the broadcast address");
  EXPECT_EQ(virtual_ip_problem(*parse_ip_literal("::1")), "is the loopback address ::1");
  EXPECT_EQ(virtual_ip_problem(*parse_ip_literal("ff02::1")), "is a multicast address");
  EXPECT_FALSE(virtual_ip_problem(*parse_ip_literal("192.168.1.100")).has_value());
  EXPECT_FALSE(virtual_ip_problem(*parse_ip_literal("fd00::100")).has_value());
}

TEST(Address, host_names_follow_rfc_1123) {
  EXPECT_TRUE(is_host_name("node2"));
  EXPECT_TRUE(is_host_name("vip.example.com."));
  EXPECT_TRUE(is_host_name("a-b.c1"));
  for (const char* bad : {"", "-a", "a-", "a..b", "a_b", "10.0.0.300", "a b"}) EXPECT_FALSE(is_host_name(bad)) << bad;
}

TEST(Address, host_port_pairs) {
  std::string problem;
  const auto v4 = parse_host_port("192.168.1.30:9020", problem);
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "192.168.1.30");
  EXPECT_EQ(v4->port, 9020);
  const auto v6 = parse_host_port("[fd00::30]:80", problem);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "fd00::30");
  EXPECT_TRUE(parse_host_port("witness.example:1", problem).has_value());

  const auto expect_problem = [](const char* text, const char* expected) {
    std::string why;
    EXPECT_FALSE(parse_host_port(text, why).has_value()) << text;
    EXPECT_EQ(why, expected) << text;
  };
  expect_problem("10.0.0.30", "has no port: write host:port");
  expect_problem("10.0.0.30:0", "has no valid port (1 to 65535) after the ':'");
  expect_problem("10.0.0.30:65536", "has no valid port (1 to 65535) after the ':'");
  expect_problem("10.0.0.30:", "has no valid port (1 to 65535) after the ':'");
  expect_problem("fd00::30:80", "is ambiguous: write an IPv6 address in brackets, [address]:port");
  expect_problem("[fd00::30]80", "is not [IPv6]:port");
  expect_problem("[10.0.0.1]:80", "has no valid IPv6 address between [ and ]");
  expect_problem("bad_host:80", "does not start with an IP address or a host name");
}

}  // namespace
}  // namespace hamirror::config
