#include "platform/posix/ip_addr.h"

#include <gtest/gtest.h>

namespace hamirror::platform::posix {
namespace {

// As `ip -o -4 addr show` prints it (iproute2 6.1), plus a point-to-point address and
// a line of another family that must be skipped.
constexpr const char* kOutput =
    "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
    "4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever\n"
    "4: eth0    inet 192.0.2.99/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever\n"
    "4: eth0    inet6 fd00::2/64 scope global nodad \\       valid_lft forever preferred_lft forever\n"
    "7: tun0@NONE    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0\\       valid_lft forever\n"
    "garbage\n";

TEST(IpAddr, parses_ipv4_lines_and_skips_the_rest) {
  const auto entries = parse_ip_addr_output(kOutput);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0], (InterfaceAddress{"lo", 0x7f000001u, 8}));
  EXPECT_EQ(entries[1], (InterfaceAddress{"eth0", 0xc0000202u, 24}));
  EXPECT_EQ(entries[2], (InterfaceAddress{"eth0", 0xc0000263u, 24}));
  EXPECT_EQ(entries[3], (InterfaceAddress{"tun0", 0x0a080001u, 32}));
}

TEST(IpAddr, parses_and_formats_dotted_ipv4_only) {
  EXPECT_EQ(parse_ipv4("10.213.0.99"), 0x0ad50063u);
  EXPECT_FALSE(parse_ipv4("10.213.0").has_value());
  EXPECT_FALSE(parse_ipv4("10.213.0.256").has_value());
  EXPECT_FALSE(parse_ipv4("fd00::1").has_value());
  EXPECT_FALSE(parse_ipv4("").has_value());
  EXPECT_EQ(format_ipv4(0x0ad50063u), "10.213.0.99");
}

TEST(IpAddr, same_subnet_compares_the_prefix_bits) {
  EXPECT_TRUE(same_subnet(0xc0000202u, 0xc00002feu, 24));
  EXPECT_FALSE(same_subnet(0xc0000202u, 0xc0000302u, 24));
  EXPECT_TRUE(same_subnet(0xc0000202u, 0xc0000302u, 22));
  EXPECT_TRUE(same_subnet(0x01020304u, 0xfffffffeu, 0));
  EXPECT_FALSE(same_subnet(0x0a000001u, 0x0a000002u, 32));
}

}  // namespace
}  // namespace hamirror::platform::posix
