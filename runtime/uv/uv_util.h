// Small pieces every libuv-backed class shares: error mapping, deferred calls,
// thread-pool work and address parsing. Internal to runtime/uv.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "io/error.h"
#include "io/network.h"

namespace hamirror::uv {

// libuv's UV_E* codes are portable (on Windows libuv translates Win32 errors into
// them), so one mapping serves both platforms.
io::Error error_from_uv(int uv_status);

// Runs fn on the loop soon, never inside the caller (the seam promises callbacks are
// never synchronous). Implemented with a one-shot zero timer that frees itself.
void post(uv_loop_t* loop, std::function<void()> fn);

// Runs work() on libuv's thread pool, then done() on the loop.
void run_blocking(uv_loop_t* loop, std::function<void()> work, std::function<void()> done);

// Parses a numeric IPv4 or IPv6 host and port into a sockaddr_storage.
io::Error parse_address(const io::Address& address, sockaddr_storage* out);
io::Address address_from_sockaddr(const sockaddr* addr);

// Closes a handle whose memory is owned by `owner` (heap-allocated), deleting the
// owner once libuv is done with it.
template <typename Owner>
void close_and_delete(uv_handle_t* handle, Owner* owner) {
  handle->data = owner;
  uv_close(handle, [](uv_handle_t* closed) { delete static_cast<Owner*>(closed->data); });
}

}  // namespace hamirror::uv
