// Internal to runtime/uv: the pieces UvNetwork assembles.
#pragma once

#include <uv.h>

#include <memory>

#include "io/network.h"

namespace hamirror::uv {

io::Result<std::unique_ptr<io::DatagramEndpoint>> open_uv_datagram(uv_loop_t* loop, const io::Address& local,
                                                                   io::DatagramEndpoint::ReceiveFn on_receive);
io::Result<std::unique_ptr<io::StreamListener>> listen_uv_stream(uv_loop_t* loop, const io::Address& local,
                                                                 io::Network::AcceptFn on_accept);
void connect_uv_stream(uv_loop_t* loop, const io::Address& remote, io::Network::ConnectFn on_connected);

}  // namespace hamirror::uv
