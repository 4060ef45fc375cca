// io::DatagramEndpoint on uv_udp_t.
#include "uv/uv_network.h"

#include <cstring>
#include <utility>

#include "io/assert.h"
#include "uv/uv_util.h"

namespace hamirror::uv {
namespace {

class UvDatagram final : public io::DatagramEndpoint {
 public:
  // Outlives the endpoint until libuv's close callback; `on_receive` is cleared when
  // the endpoint is destroyed so nothing is delivered afterwards.
  struct Handle {
    uv_udp_t udp;
    ReceiveFn on_receive;
    char buffer[io::kMaxDatagramBytes];
  };
  struct SendReq {
    uv_udp_send_t req;
    io::Bytes payload;
  };

  explicit UvDatagram(Handle* handle, io::Address local) : handle_(handle), local_(std::move(local)) {}
  ~UvDatagram() override {
    uv_udp_recv_stop(&handle_->udp);
    handle_->on_receive = nullptr;
    close_and_delete(reinterpret_cast<uv_handle_t*>(&handle_->udp), handle_);
  }

  io::Address local_address() const override { return local_; }

  io::Error send_to(const io::Address& to, io::ByteView payload) override {
    if (payload.size() > io::kMaxDatagramBytes) return io::Error::message_too_large;
    sockaddr_storage addr;
    if (const auto parsed = parse_address(to, &addr); parsed != io::Error::ok) return parsed;
    auto* send = new SendReq{{}, io::Bytes(payload.begin(), payload.end())};
    send->req.data = send;
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(send->payload.data()), static_cast<unsigned>(send->payload.size()));
    const int status = uv_udp_send(&send->req, &handle_->udp, &buf, 1, reinterpret_cast<const sockaddr*>(&addr),
                                   [](uv_udp_send_t* req, int) { delete static_cast<SendReq*>(req->data); });
    if (status != 0) {
      delete send;
      return error_from_uv(status);
    }
    return io::Error::ok;
  }

  static void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
    auto* self = static_cast<Handle*>(handle->data);
    *buf = uv_buf_init(self->buffer, sizeof self->buffer);
  }

  static void on_recv(uv_udp_t* udp, ssize_t nread, const uv_buf_t* buf, const sockaddr* from, unsigned flags) {
    auto* self = static_cast<Handle*>(udp->data);
    // nread == 0 with from == nullptr means "nothing more for now"; errors on an
    // unconnected UDP socket are transient (ICMP noise) and are not the sender's news.
    if (nread <= 0 || from == nullptr || (flags & UV_UDP_PARTIAL) != 0 || !self->on_receive) return;
    auto on_receive = self->on_receive;
    on_receive(address_from_sockaddr(from),
               io::ByteView(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)));
  }

 private:
  Handle* handle_;
  io::Address local_;
};

}  // namespace

io::Result<std::unique_ptr<io::DatagramEndpoint>> open_uv_datagram(uv_loop_t* loop, const io::Address& local,
                                                                   io::DatagramEndpoint::ReceiveFn on_receive) {
  HM_ASSERT(on_receive);
  sockaddr_storage addr;
  if (const auto parsed = parse_address(local, &addr); parsed != io::Error::ok) return parsed;
  auto* handle = new UvDatagram::Handle;
  HM_ASSERT(uv_udp_init(loop, &handle->udp) == 0);
  handle->udp.data = handle;
  handle->on_receive = std::move(on_receive);
  auto fail = [&](int status) -> io::Result<std::unique_ptr<io::DatagramEndpoint>> {
    handle->on_receive = nullptr;
    close_and_delete(reinterpret_cast<uv_handle_t*>(&handle->udp), handle);
    return error_from_uv(status);
  };
  if (int status = uv_udp_bind(&handle->udp, reinterpret_cast<const sockaddr*>(&addr), 0); status != 0) return fail(status);
  sockaddr_storage bound;
  int length = sizeof bound;
  if (int status = uv_udp_getsockname(&handle->udp, reinterpret_cast<sockaddr*>(&bound), &length); status != 0) {
    return fail(status);
  }
  if (int status = uv_udp_recv_start(&handle->udp, &UvDatagram::on_alloc, &UvDatagram::on_recv); status != 0) {
    return fail(status);
  }
  return std::unique_ptr<io::DatagramEndpoint>(
      std::make_unique<UvDatagram>(handle, address_from_sockaddr(reinterpret_cast<sockaddr*>(&bound))));
}

}  // namespace hamirror::uv
