// Network addresses as configuration files write them: IP literals, host names and
// "host:port". Pure text rules: nothing here resolves a name.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hamirror::config {

struct IpAddress {
  enum class Family { v4, v6 };
  Family family = Family::v4;
  std::array<std::uint8_t, 16> bytes{};  // v4 uses the first 4
};

// A dotted-quad IPv4 ("192.168.1.10", no leading zeros: "010" is ambiguous) or an IPv6
// literal ("fe80::1", "::ffff:192.168.1.10"; no brackets, no zone). nullopt otherwise.
std::optional<IpAddress> parse_ip_literal(std::string_view text);

// Why `address` cannot be a virtual IP (unspecified, loopback, multicast, broadcast),
// or nullopt when it can.
std::optional<std::string> virtual_ip_problem(const IpAddress& address);

// A syntactically valid DNS host name (RFC 1123 labels of letters, digits and '-').
bool is_host_name(std::string_view text);

struct HostPort {
  std::string host;  // an IP literal (IPv6 without its brackets) or a host name
  std::uint16_t port = 0;
};

// "host:port", "192.168.1.30:9020" or "[fe80::1]:9020". On failure returns nullopt and
// sets `problem` to a sentence fragment ("has no port: write host:port").
std::optional<HostPort> parse_host_port(std::string_view text, std::string& problem);

}  // namespace hamirror::config
