// io::StreamConnection and io::StreamListener on uv_tcp_t.
#include <cstring>
#include <utility>

#include "io/assert.h"
#include "uv/uv_network.h"
#include "uv/uv_util.h"

namespace hamirror::uv {
namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr int kListenBacklog = 128;

// Heap state shared by a UvStream and libuv. It is freed when both are done with it:
// the handle is closed (libuv's close callback ran) and no UvStream refers to it.
// `owner_alive` turns false when the UvStream is destroyed or closed locally: from
// then on no user callback runs.
struct StreamCore {
  uv_tcp_t tcp;
  bool owner_exists = false;
  bool handle_closed = false;
  io::StreamConnection::DataFn on_data;
  io::StreamConnection::CloseFn on_close;
  bool owner_alive = true;
  bool reading_wanted = false;
  bool paused = false;
  bool ended = false;  // on_close already delivered, or closed locally
  std::size_t pending_write_bytes = 0;
  io::Address local;
  io::Address remote;
  char buffer[kReadBufferBytes];
};

struct WriteReq {
  uv_write_t req;
  io::Bytes data;
  io::StreamConnection::WriteDoneFn on_done;
  StreamCore* core;
};

void close_core(StreamCore* core) {
  core->owner_alive = false;
  core->on_data = nullptr;
  core->on_close = nullptr;
  auto* handle = reinterpret_cast<uv_handle_t*>(&core->tcp);
  if (core->handle_closed || uv_is_closing(handle)) return;
  uv_close(handle, [](uv_handle_t* closed) {
    auto* closed_core = static_cast<StreamCore*>(closed->data);
    closed_core->handle_closed = true;
    if (!closed_core->owner_exists) delete closed_core;
  });
}

// The UvStream lets go of its core: freed now if libuv is done with it, else later.
void release_core(StreamCore* core) {
  core->owner_exists = false;
  close_core(core);
  if (core->handle_closed) delete core;
}

void end_with(StreamCore* core, io::Error reason) {
  if (core->ended) return;
  core->ended = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&core->tcp));
  auto on_close = core->on_close;
  if (core->owner_alive && on_close) on_close(reason);
}

void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* core = static_cast<StreamCore*>(handle->data);
  *buf = uv_buf_init(core->buffer, sizeof core->buffer);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* core = static_cast<StreamCore*>(stream->data);
  if (nread < 0) return end_with(core, error_from_uv(static_cast<int>(nread)));
  if (nread == 0 || !core->owner_alive || !core->on_data) return;
  auto on_data = core->on_data;
  on_data(io::ByteView(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)));
}

void update_reading(StreamCore* core) {
  auto* stream = reinterpret_cast<uv_stream_t*>(&core->tcp);
  if (core->ended) return;
  if (core->reading_wanted && !core->paused) {
    uv_read_start(stream, on_alloc, on_read);
  } else {
    uv_read_stop(stream);
  }
}

class UvStream final : public io::StreamConnection {
 public:
  explicit UvStream(StreamCore* core) : core_(core) { core_->owner_exists = true; }
  ~UvStream() override { release_core(core_); }

  void set_handlers(DataFn on_data, CloseFn on_close) override {
    HM_ASSERT(on_data && on_close);
    core_->on_data = std::move(on_data);
    core_->on_close = std::move(on_close);
    core_->reading_wanted = true;
    update_reading(core_);
  }

  io::Error write(io::ByteView bytes, WriteDoneFn on_done) override {
    if (core_->ended) return io::Error::connection_reset;
    if (core_->pending_write_bytes + bytes.size() > io::kMaxPendingWriteBytes) return io::Error::would_block;
    auto* write = new WriteReq{{}, io::Bytes(bytes.begin(), bytes.end()), std::move(on_done), core_};
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(write->data.data()), static_cast<unsigned>(write->data.size()));
    const int status = uv_write(&write->req, reinterpret_cast<uv_stream_t*>(&core_->tcp), &buf, 1, [](uv_write_t* req, int status) {
      std::unique_ptr<WriteReq> done(reinterpret_cast<WriteReq*>(req));
      done->core->pending_write_bytes -= done->data.size();
      if (done->core->owner_alive && done->on_done) done->on_done(error_from_uv(status));
    });
    if (status != 0) {
      delete write;
      return error_from_uv(status);
    }
    core_->pending_write_bytes += bytes.size();
    return io::Error::ok;
  }

  std::size_t pending_write_bytes() const override { return core_->pending_write_bytes; }
  void pause_reading() override {
    core_->paused = true;
    update_reading(core_);
  }
  void resume_reading() override {
    core_->paused = false;
    update_reading(core_);
  }

  void close() override {
    if (core_->ended) return;
    core_->ended = true;
    core_->owner_alive = false;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&core_->tcp));
    // Shutdown runs after queued writes; the handle is closed once it completes.
    auto* shutdown = new uv_shutdown_t;
    shutdown->data = core_;
    const int status = uv_shutdown(shutdown, reinterpret_cast<uv_stream_t*>(&core_->tcp), [](uv_shutdown_t* req, int) {
      auto* core = static_cast<StreamCore*>(req->data);
      delete req;
      close_core(core);
    });
    if (status != 0) {
      delete shutdown;
      close_core(core_);
    }
  }

  io::Address local_address() const override { return core_->local; }
  io::Address remote_address() const override { return core_->remote; }

 private:
  StreamCore* core_;
};

// Fills the addresses of a connected handle.
void learn_addresses(StreamCore* core) {
  sockaddr_storage addr;
  int length = sizeof addr;
  if (uv_tcp_getsockname(&core->tcp, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    core->local = address_from_sockaddr(reinterpret_cast<sockaddr*>(&addr));
  }
  length = sizeof addr;
  if (uv_tcp_getpeername(&core->tcp, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    core->remote = address_from_sockaddr(reinterpret_cast<sockaddr*>(&addr));
  }
  uv_tcp_nodelay(&core->tcp, 1);
}

StreamCore* new_core(uv_loop_t* loop) {
  auto* core = new StreamCore;
  HM_ASSERT(uv_tcp_init(loop, &core->tcp) == 0);
  core->tcp.data = core;
  return core;
}

class UvListener final : public io::StreamListener {
 public:
  struct Handle {
    uv_tcp_t tcp;
    io::Network::AcceptFn on_accept;
  };
  UvListener(Handle* handle, io::Address local) : handle_(handle), local_(std::move(local)) {}
  ~UvListener() override {
    handle_->on_accept = nullptr;
    close_and_delete(reinterpret_cast<uv_handle_t*>(&handle_->tcp), handle_);
  }
  io::Address local_address() const override { return local_; }

  static void on_connection(uv_stream_t* server, int status) {
    auto* handle = static_cast<Handle*>(server->data);
    if (status != 0 || !handle->on_accept) return;  // transient accept errors are retried by the OS
    StreamCore* core = new_core(server->loop);
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&core->tcp)) != 0) {
      close_core(core);
      return;
    }
    learn_addresses(core);
    auto on_accept = handle->on_accept;
    on_accept(std::make_unique<UvStream>(core));
  }

 private:
  Handle* handle_;
  io::Address local_;
};

struct ConnectReq {
  uv_connect_t req;
  StreamCore* core;
  io::Network::ConnectFn on_connected;
};

}  // namespace

io::Result<std::unique_ptr<io::StreamListener>> listen_uv_stream(uv_loop_t* loop, const io::Address& local,
                                                                 io::Network::AcceptFn on_accept) {
  HM_ASSERT(on_accept);
  sockaddr_storage addr;
  if (const auto parsed = parse_address(local, &addr); parsed != io::Error::ok) return parsed;
  auto* handle = new UvListener::Handle;
  HM_ASSERT(uv_tcp_init(loop, &handle->tcp) == 0);
  handle->tcp.data = handle;
  handle->on_accept = std::move(on_accept);
  auto fail = [&](int status) -> io::Result<std::unique_ptr<io::StreamListener>> {
    handle->on_accept = nullptr;
    close_and_delete(reinterpret_cast<uv_handle_t*>(&handle->tcp), handle);
    return error_from_uv(status);
  };
  // uv_tcp_bind reports some errors (EADDRINUSE) only at listen time.
  if (int status = uv_tcp_bind(&handle->tcp, reinterpret_cast<const sockaddr*>(&addr), 0); status != 0) return fail(status);
  if (int status = uv_listen(reinterpret_cast<uv_stream_t*>(&handle->tcp), kListenBacklog, &UvListener::on_connection);
      status != 0) {
    return fail(status);
  }
  sockaddr_storage bound;
  int length = sizeof bound;
  if (int status = uv_tcp_getsockname(&handle->tcp, reinterpret_cast<sockaddr*>(&bound), &length); status != 0) {
    return fail(status);
  }
  return std::unique_ptr<io::StreamListener>(
      std::make_unique<UvListener>(handle, address_from_sockaddr(reinterpret_cast<sockaddr*>(&bound))));
}

void connect_uv_stream(uv_loop_t* loop, const io::Address& remote, io::Network::ConnectFn on_connected) {
  HM_ASSERT(on_connected);
  sockaddr_storage addr;
  if (const auto parsed = parse_address(remote, &addr); parsed != io::Error::ok) {
    post(loop, [on_connected = std::move(on_connected), parsed] { on_connected(parsed); });
    return;
  }
  auto* connect = new ConnectReq{{}, new_core(loop), std::move(on_connected)};
  const int status = uv_tcp_connect(&connect->req, &connect->core->tcp, reinterpret_cast<const sockaddr*>(&addr),
                                    [](uv_connect_t* req, int status) {
                                      std::unique_ptr<ConnectReq> done(reinterpret_cast<ConnectReq*>(req));
                                      if (status != 0) {
                                        close_core(done->core);
                                        done->on_connected(error_from_uv(status));
                                        return;
                                      }
                                      learn_addresses(done->core);
                                      done->on_connected(std::unique_ptr<io::StreamConnection>(
                                          std::make_unique<UvStream>(done->core)));
                                    });
  if (status != 0) {
    close_core(connect->core);
    auto on_connected_now = std::move(connect->on_connected);
    delete connect;
    post(loop, [on_connected_now = std::move(on_connected_now), status] { on_connected_now(error_from_uv(status)); });
  }
}

}  // namespace hamirror::uv
