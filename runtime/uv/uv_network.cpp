// io::Network on libuv: assembles the datagram and stream pieces.
#include "uv/uv_network.h"

#include "uv/uv_backend.h"

namespace hamirror::uv {
namespace {

class UvNetwork final : public io::Network {
 public:
  explicit UvNetwork(uv_loop_t* loop) : loop_(loop) {}

  io::Result<std::unique_ptr<io::DatagramEndpoint>> open_datagram(const io::Address& local,
                                                                  io::DatagramEndpoint::ReceiveFn on_receive) override {
    return open_uv_datagram(loop_, local, std::move(on_receive));
  }
  io::Result<std::unique_ptr<io::StreamListener>> listen(const io::Address& local, AcceptFn on_accept) override {
    return listen_uv_stream(loop_, local, std::move(on_accept));
  }
  void connect(const io::Address& remote, ConnectFn on_connected) override {
    connect_uv_stream(loop_, remote, std::move(on_connected));
  }

 private:
  uv_loop_t* loop_;
};

}  // namespace

std::unique_ptr<io::Network> make_uv_network(uv_loop_t* loop) { return std::make_unique<UvNetwork>(loop); }

}  // namespace hamirror::uv
