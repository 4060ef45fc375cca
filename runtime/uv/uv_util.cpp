#include "uv/uv_util.h"

#include <cstring>
#include <utility>

#include "io/assert.h"

namespace hamirror::uv {

io::Error error_from_uv(int uv_status) {
  using io::Error;
  switch (uv_status) {
    case 0: return Error::ok;
    case UV_ENOENT: return Error::not_found;
    case UV_EEXIST: return Error::already_exists;
    case UV_EACCES:
    case UV_EPERM: return Error::permission_denied;
    case UV_ENOSPC: return Error::no_space;
    case UV_EIO: return Error::io_error;
    case UV_EINVAL: return Error::invalid_argument;
    case UV_ENOTEMPTY: return Error::not_empty;
    case UV_EISDIR: return Error::is_directory;
    case UV_ENOTDIR: return Error::not_directory;
    case UV_EBADF: return Error::bad_handle;
    case UV_EMFILE:
    case UV_ENFILE: return Error::too_many_open;
    case UV_EBUSY: return Error::busy;
    case UV_EAGAIN: return Error::would_block;
    case UV_ETIMEDOUT: return Error::timed_out;
    case UV_ECONNREFUSED: return Error::connection_refused;
    case UV_ECONNRESET:
    case UV_EPIPE:
    case UV_ECONNABORTED: return Error::connection_reset;
    case UV_EOF: return Error::end_of_stream;
    case UV_EADDRINUSE: return Error::address_in_use;
    case UV_EADDRNOTAVAIL: return Error::address_unavailable;
    case UV_ENETUNREACH:
    case UV_EHOSTUNREACH: return Error::unreachable;
    case UV_EMSGSIZE: return Error::message_too_large;
    case UV_ECANCELED: return Error::cancelled;
    case UV_ENOTSUP:
    case UV_ENOSYS: return Error::not_supported;
    case UV_EROFS: return Error::read_only;
    case UV_EFBIG: return Error::too_large;
    case UV_ENAMETOOLONG: return Error::name_too_long;
    case UV_ENOMEM: return Error::out_of_memory;
    default: return Error::unknown;
  }
}

namespace {
struct Posted {
  uv_timer_t timer;
  std::function<void()> fn;
};
struct Work {
  uv_work_t req;
  std::function<void()> work;
  std::function<void()> done;
};
}  // namespace

void post(uv_loop_t* loop, std::function<void()> fn) {
  auto* posted = new Posted{{}, std::move(fn)};
  HM_ASSERT(uv_timer_init(loop, &posted->timer) == 0);
  posted->timer.data = posted;
  uv_timer_start(&posted->timer, [](uv_timer_t* timer) {
    auto* self = static_cast<Posted*>(timer->data);
    auto fn = std::move(self->fn);
    close_and_delete(reinterpret_cast<uv_handle_t*>(timer), self);
    fn();
  }, 0, 0);
}

void run_blocking(uv_loop_t* loop, std::function<void()> work, std::function<void()> done) {
  auto* job = new Work{{}, std::move(work), std::move(done)};
  job->req.data = job;
  const int queued = uv_queue_work(
      loop, &job->req, [](uv_work_t* req) { static_cast<Work*>(req->data)->work(); },
      [](uv_work_t* req, int) {
        std::unique_ptr<Work> finished(static_cast<Work*>(req->data));
        finished->done();
      });
  HM_ASSERT(queued == 0);
}

io::Error parse_address(const io::Address& address, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  if (uv_ip4_addr(address.host.c_str(), address.port, reinterpret_cast<sockaddr_in*>(out)) == 0) {
    return io::Error::ok;
  }
  if (uv_ip6_addr(address.host.c_str(), address.port, reinterpret_cast<sockaddr_in6*>(out)) == 0) {
    return io::Error::ok;
  }
  return io::Error::invalid_argument;
}

io::Address address_from_sockaddr(const sockaddr* addr) {
  char host[64] = {};
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    uv_ip6_name(in6, host, sizeof host);
    return {host, ntohs(in6->sin6_port)};
  }
  const auto* in4 = reinterpret_cast<const sockaddr_in*>(addr);
  uv_ip4_name(in4, host, sizeof host);
  return {host, ntohs(in4->sin_port)};
}

}  // namespace hamirror::uv
