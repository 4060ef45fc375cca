#include "tests/daemon/free_port.h"

#include <uv.h>

#include <stdexcept>

namespace hamirror::test {
namespace {

template <typename Handle, typename Init, typename Bind, typename Name>
std::uint16_t bound_port(Init init, Bind bind, Name name) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Handle handle;
  init(&loop, &handle);
  sockaddr_in address;
  uv_ip4_addr("127.0.0.1", 0, &address);
  std::uint16_t port = 0;
  if (bind(&handle, reinterpret_cast<const sockaddr*>(&address)) == 0) {
    sockaddr_storage bound;
    int length = sizeof bound;
    if (name(&handle, reinterpret_cast<sockaddr*>(&bound), &length) == 0) {
      port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&handle), nullptr);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (port == 0) throw std::runtime_error("no free port on 127.0.0.1");
  return port;
}

}  // namespace

std::uint16_t free_tcp_port() {
  return bound_port<uv_tcp_t>([](uv_loop_t* loop, uv_tcp_t* h) { uv_tcp_init(loop, h); },
                              [](uv_tcp_t* h, const sockaddr* a) { return uv_tcp_bind(h, a, 0); },
                              [](uv_tcp_t* h, sockaddr* a, int* n) { return uv_tcp_getsockname(h, a, n); });
}

std::uint16_t free_udp_port() {
  return bound_port<uv_udp_t>([](uv_loop_t* loop, uv_udp_t* h) { uv_udp_init(loop, h); },
                              [](uv_udp_t* h, const sockaddr* a) { return uv_udp_bind(h, a, 0); },
                              [](uv_udp_t* h, sockaddr* a, int* n) { return uv_udp_getsockname(h, a, n); });
}

}  // namespace hamirror::test
