#include "daemon/resolver.h"

#include <cstring>

namespace hamirror::daemon {

std::optional<std::string> resolve_host(uv_loop_t* loop, const std::string& host) {
  unsigned char scratch[sizeof(struct in6_addr)];
  if (uv_inet_pton(AF_INET, host.c_str(), scratch) == 0 || uv_inet_pton(AF_INET6, host.c_str(), scratch) == 0) {
    return host;
  }
  uv_getaddrinfo_t request;
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  if (uv_getaddrinfo(loop, &request, nullptr, host.c_str(), nullptr, &hints) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (const addrinfo* entry = request.addrinfo; entry != nullptr && !found; entry = entry->ai_next) {
    char text[64] = {};
    if (entry->ai_family == AF_INET &&
        uv_ip4_name(reinterpret_cast<const sockaddr_in*>(entry->ai_addr), text, sizeof text) == 0) {
      found = text;
    } else if (entry->ai_family == AF_INET6 &&
               uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(entry->ai_addr), text, sizeof text) == 0) {
      found = text;
    }
  }
  uv_freeaddrinfo(request.addrinfo);
  return found;
}

}  // namespace hamirror::daemon
