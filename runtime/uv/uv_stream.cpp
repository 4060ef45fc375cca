// io::StreamConnection and io::StreamListener on uv_tcp_t.
#include <type_traits>
#include <utility>

#include "io/assert.h"
#include "platform/platform.h"
#include "uv/uv_network.h"
#include "uv/uv_util.h"

namespace hamirror::uv {
namespace {

// Several 64 KiB records per read when a replication stream is busy: the records that
// arrive whole are opened in this buffer without being copied (auth/secure_stream.cpp),
// and a busy stream takes fewer read calls (a core-bench run: 44,826 -> 24,520).
constexpr std::size_t kReadBufferBytes = 256 * 1024;
constexpr int kListenBacklog = 128;
// Matches the simulator's connect timeout: an HA cluster wants to know soon, not after
// the kernel's two minutes of SYN retries.
constexpr std::uint64_t kConnectTimeoutMs = 5000;
// TCP keepalive, so a peer that lost power is noticed on an idle stream too; the
// probes that follow are bounded with the retransmissions (bound_silence).
constexpr unsigned kKeepAliveDelayS = 5;

// Heap state shared by a UvStream and libuv. It is freed when both are done with it:
// the handle is closed (libuv's close callback ran) and no UvStream refers to it.
struct StreamCore {
  uv_tcp_t tcp;
  bool owner_exists = false;     // a UvStream refers to this core
  bool handle_closed = false;    // libuv's close callback ran
  bool ended = false;            // the stream is over: on_close ran or close() was called
  bool closed_locally = false;   // close() was called: on_close and on_data are not reported
  bool reading_wanted = false;
  bool paused = false;
  io::StreamConnection::DataFn on_data;
  io::StreamConnection::CloseFn on_close;
  std::size_t pending_write_bytes = 0;
  io::Address local;
  io::Address remote;
  char buffer[kReadBufferBytes];
};

struct WriteReq {
  uv_write_t req;
  io::Bytes data;
  io::SharedBytes tail;  // written after data, from the sender's buffer; kept until done
  io::StreamConnection::WriteDoneFn on_done;
  StreamCore* core;
};

void on_core_closed(uv_handle_t* closed) {
  auto* core = static_cast<StreamCore*>(closed->data);
  core->handle_closed = true;
  if (!core->owner_exists) delete core;
}

// Closes the socket. Pending write requests then complete with ECANCELED.
void close_handle(StreamCore* core) {
  auto* handle = reinterpret_cast<uv_handle_t*>(&core->tcp);
  if (core->handle_closed || uv_is_closing(handle)) return;
  uv_close(handle, on_core_closed);
}

// The UvStream lets go of its core: no callback of its runs any more; the core is
// freed now if libuv is done with it, else from the close callback.
void release_core(StreamCore* core) {
  core->owner_exists = false;
  core->on_data = nullptr;
  core->on_close = nullptr;
  close_handle(core);
  if (core->handle_closed) delete core;
}

// The stream is over for `reason`: report it once (unless closed locally) and close
// the socket, which fails the writes still queued.
void end_with(StreamCore* core, io::Error reason) {
  const bool report = !core->ended && !core->closed_locally;
  core->ended = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&core->tcp));
  close_handle(core);
  auto on_close = core->on_close;
  if (report && on_close) on_close(reason);
}

void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* core = static_cast<StreamCore*>(handle->data);
  *buf = uv_buf_init(core->buffer, sizeof core->buffer);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* core = static_cast<StreamCore*>(stream->data);
  if (nread < 0) return end_with(core, error_from_uv(static_cast<int>(nread)));
  // After a local close the peer's last bytes are read and dropped until it closes
  // too, so the kernel never answers unread data with a reset.
  if (nread == 0 || core->closed_locally || !core->on_data) return;
  auto on_data = core->on_data;
  on_data(io::ByteView(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread)));
}

void update_reading(StreamCore* core) {
  auto* stream = reinterpret_cast<uv_stream_t*>(&core->tcp);
  if (core->handle_closed || uv_is_closing(reinterpret_cast<uv_handle_t*>(stream))) return;
  const bool drain = core->closed_locally;
  if (drain || (core->reading_wanted && !core->paused)) {
    uv_read_start(stream, on_alloc, on_read);
  } else {
    uv_read_stop(stream);
  }
}

void on_write_done(uv_write_t* req, int status) {
  std::unique_ptr<WriteReq> done(static_cast<WriteReq*>(req->data));
  StreamCore* core = done->core;
  core->pending_write_bytes -= done->data.size() + done->tail.size();
  const io::Error result = error_from_uv(status);
  if (core->owner_exists && done->on_done) done->on_done(result);
  // A failed write ends the stream: libuv would leave later writes queued forever.
  if (status < 0 && status != UV_ECANCELED && core->owner_exists) end_with(core, result);
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
    const io::Error refused = refusal(bytes.size());
    if (refused != io::Error::ok) return refused;
    io::Bytes copy(bytes.begin(), bytes.end());
    return queue(copy, {}, std::move(on_done));
  }

  io::Error write_owned(io::Bytes& bytes, WriteDoneFn on_done) override {
    const io::Error refused = refusal(bytes.size());
    if (refused != io::Error::ok) return refused;
    return queue(bytes, {}, std::move(on_done));
  }

  // One uv_write of two buffers: the tail goes out from where it is.
  io::Error write_gather(io::Bytes& head, io::SharedBytes tail, WriteDoneFn on_done) override {
    const io::Error refused = refusal(head.size() + tail.size());
    if (refused != io::Error::ok) return refused;
    return queue(head, std::move(tail), std::move(on_done));
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
    core_->closed_locally = true;
    update_reading(core_);  // drain what the peer still sends, until it closes
    // The shutdown (FIN) goes out after the queued writes; their completions still run.
    auto* shutdown = new uv_shutdown_t;
    shutdown->data = core_;
    const int status = uv_shutdown(shutdown, reinterpret_cast<uv_stream_t*>(&core_->tcp), [](uv_shutdown_t* req, int result) {
      auto* core = static_cast<StreamCore*>(req->data);
      delete req;
      if (result < 0) close_handle(core);
    });
    if (status != 0) {
      delete shutdown;
      close_handle(core_);
    }
  }

  io::Address local_address() const override { return core_->local; }
  io::Address remote_address() const override { return core_->remote; }

 private:
  // Why a write of `size` bytes cannot be queued now, or ok.
  io::Error refusal(std::size_t size) const {
    if (size > io::kMaxPendingWriteBytes) return io::Error::message_too_large;
    if (core_->ended) return io::Error::connection_reset;
    if (core_->pending_write_bytes + size > io::kMaxPendingWriteBytes) return io::Error::would_block;
    return io::Error::ok;
  }

  // Hands `bytes`, then `tail`, to libuv, which writes from them until the completion;
  // on failure `bytes` is given back untouched.
  io::Error queue(io::Bytes& bytes, io::SharedBytes tail, WriteDoneFn on_done) {
    const std::size_t size = bytes.size() + tail.size();
    auto* write = new WriteReq{{}, std::move(bytes), std::move(tail), std::move(on_done), core_};
    write->req.data = write;
    // libuv only reads through the bases: the tail's const is not broken.
    uv_buf_t bufs[2] = {
        uv_buf_init(reinterpret_cast<char*>(write->data.data()), static_cast<unsigned>(write->data.size())),
        uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(write->tail.data())),
                    static_cast<unsigned>(write->tail.size()))};
    const unsigned count = write->tail.empty() ? 1 : 2;
    const int status = uv_write(&write->req, reinterpret_cast<uv_stream_t*>(&core_->tcp), bufs, count, on_write_done);
    if (status != 0) {
      bytes = std::move(write->data);
      delete write;
      return error_from_uv(status);
    }
    core_->pending_write_bytes += size;
    return io::Error::ok;
  }

  StreamCore* core_;
};

// Fills the addresses of a connected handle and sets its options.
// uv_os_fd_t: an int on POSIX, a HANDLE holding the SOCKET on Windows.
template <typename Fd>
std::uintptr_t as_socket(Fd fd) {
  if constexpr (std::is_pointer_v<Fd>) return reinterpret_cast<std::uintptr_t>(fd);
  else return static_cast<std::uintptr_t>(fd);
}

// The io::kStreamBreakTimeoutMs of network.h's contract. Best effort: a system that
// refuses (an old Windows, or Wine, may lack TCP_MAXRT) keeps its own, longer,
// limits; the link then waits for those, and the heartbeats still tell the node its
// peer is gone.
void bound_silence(StreamCore* core) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&core->tcp), &fd) != 0) return;
  (void)platform::bound_tcp_silence(as_socket(fd), io::kStreamBreakTimeoutMs);
}

void prepare_connected(StreamCore* core) {
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
  uv_tcp_keepalive(&core->tcp, 1, kKeepAliveDelayS);
  bound_silence(core);
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
      close_handle(core);
      return;
    }
    prepare_connected(core);
    auto on_accept = handle->on_accept;
    on_accept(std::make_unique<UvStream>(core));
  }

 private:
  Handle* handle_;
  io::Address local_;
};

// A connect in progress, with its timeout. Freed when both the connect callback and
// the timer's close callback have run.
struct ConnectReq {
  uv_connect_t req;
  uv_timer_t timer;
  StreamCore* core;
  io::Network::ConnectFn on_connected;
  bool timed_out = false;
  int open_parts = 2;  // the connect request and the timer handle
};

void release_connect_part(ConnectReq* connect) {
  if (--connect->open_parts == 0) delete connect;
}

void on_connected(uv_connect_t* req, int status) {
  auto* connect = static_cast<ConnectReq*>(req->data);
  uv_timer_stop(&connect->timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&connect->timer),
           [](uv_handle_t* timer) { release_connect_part(static_cast<ConnectReq*>(timer->data)); });
  auto done = std::move(connect->on_connected);
  StreamCore* core = connect->core;
  const bool timed_out = connect->timed_out;
  release_connect_part(connect);
  if (status != 0) {
    close_handle(core);
    return done(timed_out ? io::Error::timed_out : error_from_uv(status));
  }
  prepare_connected(core);
  done(std::unique_ptr<io::StreamConnection>(std::make_unique<UvStream>(core)));
}

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

void connect_uv_stream(uv_loop_t* loop, const io::Address& remote, io::Network::ConnectFn on_connected_fn) {
  HM_ASSERT(on_connected_fn);
  sockaddr_storage addr;
  if (const auto parsed = parse_address(remote, &addr); parsed != io::Error::ok) {
    post(loop, [done = std::move(on_connected_fn), parsed] { done(parsed); });
    return;
  }
  auto* connect = new ConnectReq;
  connect->core = new_core(loop);
  connect->on_connected = std::move(on_connected_fn);
  connect->req.data = connect;
  const int status = uv_tcp_connect(&connect->req, &connect->core->tcp, reinterpret_cast<const sockaddr*>(&addr), on_connected);
  if (status != 0) {
    close_handle(connect->core);
    auto done = std::move(connect->on_connected);
    delete connect;
    post(loop, [done = std::move(done), status] { done(error_from_uv(status)); });
    return;
  }
  HM_ASSERT(uv_timer_init(loop, &connect->timer) == 0);
  connect->timer.data = connect;
  // On timeout the socket is closed: libuv then runs the connect callback with
  // ECANCELED, which reports timed_out.
  uv_timer_start(&connect->timer, [](uv_timer_t* timer) {
    auto* late = static_cast<ConnectReq*>(timer->data);
    late->timed_out = true;
    close_handle(late->core);
  }, kConnectTimeoutMs, 0);
}

}  // namespace hamirror::uv
