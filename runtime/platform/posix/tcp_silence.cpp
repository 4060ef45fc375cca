// platform::bound_tcp_silence on Linux: TCP_USER_TIMEOUT and TCP_KEEPINTVL.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include "platform/platform.h"

namespace hamirror::platform {

io::Error bound_tcp_silence(std::uintptr_t socket, std::int64_t give_up_ms) {
  const int fd = static_cast<int>(socket);
  // Also overrides the keepalive probe count: an idle connection ends once probes have
  // gone unanswered this long (tcp(7)).
  const unsigned int user_timeout_ms = static_cast<unsigned int>(give_up_ms);
  if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms) != 0) {
    return io::error_from_errno(errno);
  }
  const int probe_interval_s = 1;  // the default, 75 s, would outlast the bound
  if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &probe_interval_s, sizeof probe_interval_s) != 0) {
    return io::error_from_errno(errno);
  }
  return io::Error::ok;
}

}  // namespace hamirror::platform
