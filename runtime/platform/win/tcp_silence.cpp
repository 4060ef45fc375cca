// platform::bound_tcp_silence on Windows: TCP_MAXRT. Keepalive probes already repeat
// every second once they start (KeepAliveInterval's default).
#include "platform/platform.h"
#include "platform/win/win32.h"

// ws2ipdef.h of the Windows SDK (Vista and later); mingw-w64's headers lack it.
#ifndef TCP_MAXRT
#define TCP_MAXRT 5
#endif

namespace hamirror::platform {

io::Error bound_tcp_silence(std::uintptr_t socket, std::int64_t give_up_ms) {
  const DWORD seconds = static_cast<DWORD>((give_up_ms + 999) / 1000);
  if (setsockopt(static_cast<SOCKET>(socket), IPPROTO_TCP, TCP_MAXRT, reinterpret_cast<const char*>(&seconds),
                 sizeof seconds) != 0) {
    return io::error_from_win32(static_cast<std::uint32_t>(WSAGetLastError()));
  }
  return io::Error::ok;
}

}  // namespace hamirror::platform
