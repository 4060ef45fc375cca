// Datagrams and ordered byte streams.
//
// Addresses are (host, port). Production hosts are numeric IPv4/IPv6 literals; the
// simulator uses its own host names. Port 0 in a bind or listen asks for any free
// port; local_address() then tells which.
//
// Contract (every backend):
// - Callbacks run on the node's event loop, never inside the call that caused them.
// - Data passed to send/write is copied before the call returns (write_owned takes
//   its buffer over instead; write_gather takes its head over and shares its tail).
// - Destroying an endpoint, listener or connection closes it at once: none of its
//   callbacks runs afterwards (pending write completions are dropped, not called).
// - Datagrams may be lost, duplicated or reordered; each arrives whole or not at all.
//   kMaxDatagramBytes bounds their size.
// - A stream delivers bytes in order without loss or duplication, in chunks of any
//   size, until it ends. It ends exactly once, reported by on_close with the reason:
//   end_of_stream (the peer closed), connection_reset, timed_out, ... A close()
//   requested locally is not reported back locally.
// - A stream whose peer cannot be reached (it lost power, the path is cut) ends with
//   timed_out once kStreamBreakTimeoutMs have passed without an answer, idle or not:
//   production bounds the kernel's retransmissions and keepalive probes to it, the
//   simulator breaks its streams after it.
// - Backpressure: write() accepts data while fewer than kMaxPendingWriteBytes are
//   queued and not yet completed; beyond that it returns would_block and queues
//   nothing. Each accepted write's completion runs once, in order, when the backend
//   has taken the bytes (or with the error that ended the stream).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "io/bytes.h"
#include "io/error.h"
#include "io/shared_bytes.h"

namespace hamirror::io {

constexpr std::size_t kMaxDatagramBytes = 64 * 1024;
constexpr std::size_t kMaxPendingWriteBytes = 16 * 1024 * 1024;
constexpr std::int64_t kStreamBreakTimeoutMs = 10'000;

struct Address {
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const Address&, const Address&) = default;
  friend auto operator<=>(const Address&, const Address&) = default;
};

std::string to_string(const Address& address);

class DatagramEndpoint {
 public:
  using ReceiveFn = std::function<void(const Address& from, ByteView payload)>;
  virtual ~DatagramEndpoint() = default;
  DatagramEndpoint() = default;
  DatagramEndpoint(const DatagramEndpoint&) = delete;
  DatagramEndpoint& operator=(const DatagramEndpoint&) = delete;

  virtual Address local_address() const = 0;
  // Queues one datagram. An error is returned only for what is known at once
  // (message_too_large, invalid_argument); delivery itself is never confirmed.
  virtual Error send_to(const Address& to, ByteView payload) = 0;
};

class StreamConnection {
 public:
  using DataFn = std::function<void(ByteView chunk)>;
  using SharedDataFn = std::function<void(const SharedBytes& chunk)>;
  using CloseFn = std::function<void(Error reason)>;
  using WriteDoneFn = std::function<void(Error result)>;
  virtual ~StreamConnection() = default;
  StreamConnection() = default;
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  // Must be called once before any data is delivered; reading starts then.
  virtual void set_handlers(DataFn on_data, CloseFn on_close) = 0;
  // Instead of set_handlers, where the backend can: chunks arrive sharing the buffers
  // they were received in (the simulator's: the sender's own), so a reader may keep a
  // slice of one without copying it. The same bytes, order and events as with
  // set_handlers. False, and nothing is set, when the backend only has views: call
  // set_handlers then.
  virtual bool set_shared_handlers(SharedDataFn /*on_data*/, CloseFn /*on_close*/) { return false; }
  virtual Error write(ByteView bytes, WriteDoneFn on_done) = 0;
  // As write(), but hands the buffer over instead of having it copied: a backend that
  // keeps written bytes until they are sent keeps this one. ok: `bytes` was taken (it
  // is left moved-from). Any other result: `bytes` is as it was, nothing was queued.
  // The default copies, as write() does.
  virtual Error write_owned(Bytes& bytes, WriteDoneFn on_done) { return write(bytes, std::move(on_done)); }
  // Writes `head` then `tail` as one write (one completion, the two sizes counted
  // together): a frame whose bulk is a payload someone else also holds. `head` is
  // taken as by write_owned (left as it was unless ok); `tail` is shared, and a backend
  // that can send from it without copying keeps it until the completion. The default
  // joins the two into one buffer (one copy). Defined here, like every other virtual
  // of the seam's interfaces: an out-of-line one would be the class's key function,
  // and code built with UBSan's vptr check (the asan preset) would then reference the
  // class's typeinfo from runtime/io, which the core's seam check refuses.
  virtual Error write_gather(Bytes& head, SharedBytes tail, WriteDoneFn on_done) {
    const std::size_t head_bytes = head.size();
    head.insert(head.end(), tail.begin(), tail.end());
    const Error result = write_owned(head, std::move(on_done));
    if (result != Error::ok) head.resize(head_bytes);  // as it was: nothing was queued
    return result;
  }
  virtual std::size_t pending_write_bytes() const = 0;
  // Stops and restarts delivery of received data (the reader's backpressure).
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
  // Closes after queued writes are flushed; the peer sees end_of_stream.
  virtual void close() = 0;
  virtual Address local_address() const = 0;
  virtual Address remote_address() const = 0;
};

class StreamListener {
 public:
  virtual ~StreamListener() = default;
  StreamListener() = default;
  StreamListener(const StreamListener&) = delete;
  StreamListener& operator=(const StreamListener&) = delete;
  virtual Address local_address() const = 0;
};

class Network {
 public:
  using AcceptFn = std::function<void(std::unique_ptr<StreamConnection> connection)>;
  using ConnectFn = std::function<void(Result<std::unique_ptr<StreamConnection>> connection)>;
  virtual ~Network() = default;
  Network() = default;
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  virtual Result<std::unique_ptr<DatagramEndpoint>> open_datagram(const Address& local,
                                                                  DatagramEndpoint::ReceiveFn on_receive) = 0;
  virtual Result<std::unique_ptr<StreamListener>> listen(const Address& local, AcceptFn on_accept) = 0;
  // on_connected runs exactly once: with the connection, or with connection_refused,
  // timed_out, unreachable, ...
  virtual void connect(const Address& remote, ConnectFn on_connected) = 0;
};

}  // namespace hamirror::io
