// The IPv4 addresses of this host's interfaces as `ip -o -4 addr show` prints them,
// and the subnet arithmetic the virtual IP needs. Parsing is separate from running the
// command so that tests can feed it text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/error.h"

namespace hamirror::platform::posix {

struct InterfaceAddress {
  std::string interface;    // "eth0"
  std::uint32_t address = 0;  // host byte order
  int prefix_length = 32;
  friend bool operator==(const InterfaceAddress&, const InterfaceAddress&) = default;
};

// "192.168.1.99" -> host-order value; nullopt for anything that is not dotted IPv4.
std::optional<std::uint32_t> parse_ipv4(const std::string& text);
std::string format_ipv4(std::uint32_t address);
// True when a and b share their first prefix_length bits (0..32).
bool same_subnet(std::uint32_t a, std::uint32_t b, int prefix_length);

// Parses `ip -o -4 addr show` output; lines it does not understand are skipped.
std::vector<InterfaceAddress> parse_ip_addr_output(std::string_view text);

// Runs `ip -o -4 addr show` (the caller's network namespace). detail: what failed.
io::Result<std::vector<InterfaceAddress>> list_ipv4_addresses(const std::string& ip_program, std::string* detail);

}  // namespace hamirror::platform::posix
