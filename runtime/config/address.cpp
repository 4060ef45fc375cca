#include "config/address.h"

#include <vector>

namespace hamirror::config {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

std::optional<std::array<std::uint8_t, 4>> parse_v4(std::string_view text) {
  const auto parts = split(text, '.');
  if (parts.size() != 4) return std::nullopt;
  std::array<std::uint8_t, 4> out{};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto part = parts[i];
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return std::nullopt;
    int value = 0;
    for (const char c : part) {
      if (!is_digit(c)) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(value);
  }
  return out;
}

// Parses groups of 16-bit hex numbers separated by ':' (an IPv4 tail allowed when
// `allow_v4_tail`) into `words`; false on any malformed group.
bool parse_v6_groups(std::string_view text, bool allow_v4_tail, std::vector<std::uint16_t>& words) {
  if (text.empty()) return true;
  const auto groups = split(text, ':');
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const auto group = groups[i];
    if (allow_v4_tail && i + 1 == groups.size() && group.find('.') != std::string_view::npos) {
      const auto v4 = parse_v4(group);
      if (!v4) return false;
      words.push_back(static_cast<std::uint16_t>(((*v4)[0] << 8) | (*v4)[1]));
      words.push_back(static_cast<std::uint16_t>(((*v4)[2] << 8) | (*v4)[3]));
      continue;
    }
    if (group.empty() || group.size() > 4) return false;
    unsigned value = 0;
    for (const char c : group) {
      const int digit = hex_value(c);
      if (digit < 0) return false;
      value = value * 16 + static_cast<unsigned>(digit);
    }
    words.push_back(static_cast<std::uint16_t>(value));
  }
  return true;
}

std::optional<std::array<std::uint8_t, 16>> parse_v6(std::string_view text) {
  std::vector<std::uint16_t> head;
  std::vector<std::uint16_t> tail;
  const auto gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (!parse_v6_groups(text, true, head) || head.size() != 8) return std::nullopt;
  } else {
    if (text.find("::", gap + 1) != std::string_view::npos) return std::nullopt;
    if (!parse_v6_groups(text.substr(0, gap), false, head)) return std::nullopt;
    if (!parse_v6_groups(text.substr(gap + 2), true, tail)) return std::nullopt;
    if (head.size() + tail.size() > 7) return std::nullopt;
    head.resize(8 - tail.size(), 0);
    head.insert(head.end(), tail.begin(), tail.end());
  }
  std::array<std::uint8_t, 16> out{};
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<std::uint8_t>(head[i] >> 8);
    out[2 * i + 1] = static_cast<std::uint8_t>(head[i] & 0xFF);
  }
  return out;
}

}  // namespace

std::optional<IpAddress> parse_ip_literal(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {
    const auto v4 = parse_v4(text);
    if (!v4) return std::nullopt;
    IpAddress address;
    address.family = IpAddress::Family::v4;
    for (std::size_t i = 0; i < 4; ++i) address.bytes[i] = (*v4)[i];
    return address;
  }
  const auto v6 = parse_v6(text);
  if (!v6) return std::nullopt;
  return IpAddress{IpAddress::Family::v6, *v6};
}

std::optional<std::string> virtual_ip_problem(const IpAddress& address) {
  const auto& b = address.bytes;
  if (address.family == IpAddress::Family::v4) {
    if (b[0] == 0) return "is not a host address (0.x.x.x)";
    if (b[0] == 127) return "is a loopback address";
    if (b[0] >= 224 && b[0] <= 239) return "is a multicast address";
    if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255) return "is the broadcast address";
    return std::nullopt;
  }
  bool all_zero = true;
  for (std::size_t i = 0; i < 15; ++i) all_zero = all_zero && b[i] == 0;
  if (all_zero && b[15] == 0) return "is the unspecified address ::";
  if (all_zero && b[15] == 1) return "is the loopback address ::1";
  if (b[0] == 0xFF) return "is a multicast address";
  return std::nullopt;
}

bool is_host_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  if (text.back() == '.') text.remove_suffix(1);  // a fully qualified name may end with '.'
  bool all_numeric = true;
  for (const auto label : split(text, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (const char c : label) {
      const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (!letter && !is_digit(c) && c != '-') return false;
      all_numeric = all_numeric && is_digit(c);
    }
  }
  return !all_numeric;  // "10.0.0.300" is a bad address, not a name
}

std::optional<HostPort> parse_host_port(std::string_view text, std::string& problem) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      problem = "is not [IPv6]:port";
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!parse_ip_literal(host) || host.find(':') == std::string_view::npos) {
      problem = "has no valid IPv6 address between [ and ]";
      return std::nullopt;
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      problem = "has no port: write host:port";
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      problem = "is ambiguous: write an IPv6 address in brackets, [address]:port";
      return std::nullopt;
    }
    if (!parse_ip_literal(host) && !is_host_name(host)) {
      problem = "does not start with an IP address or a host name";
      return std::nullopt;
    }
  }
  unsigned value = 0;
  bool digits_only = !port.empty() && port.size() <= 5;
  for (const char c : port) {
    digits_only = digits_only && is_digit(c);
    if (digits_only) value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (!digits_only || value == 0 || value > 65535) {
    problem = "has no valid port (1 to 65535) after the ':'";
    return std::nullopt;
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

}  // namespace hamirror::config
