// One simulated TCP connection: the state its two ends share, and what happens to the
// bytes between them. Each end writes into its own flight to the other end:
//
//   write() -> unsent writes -> chunks on the wire -> peer's inbox -> peer's on_data
//
// - A write is one buffer, or two (write_gather: a head, then a tail shared with its
//   sender). Chunks are cut from a write's bytes as if they were one buffer; a chunk
//   that spans both is delivered as two slices, one after the other in the same
//   event. A reader with a shared handler gets slices of the writer's own buffers.
// - A write completes (in order) when its last byte has been put on the wire. The
//   wire plus the peer's unread inbox hold at most Options::stream_window_bytes, so a
//   paused or slow reader stops the writer, whose writes then queue up to
//   io::kMaxPendingWriteBytes before write() returns would_block.
// - Chunks arrive in order (arrival times never decrease). A chunk that reaches a
//   partition waits at its edge ("held") with everything behind it, and moves again,
//   one latency later, when the partition heals.
// - A partition between the ends (either direction, on the stream's network) that
//   lasts stream_break_timeout_ns breaks the stream: both ends see timed_out, since
//   each side's own keepalive gives up, as with real TCP. Unread data is dropped.
// - close() stops reading, flushes queued writes, then sends FIN; the peer sees
//   end_of_stream after the data. Data that reaches a closed end is discarded.
// - When an end's stream ends (FIN read, or break) its unfinished writes complete
//   with that reason, in order, and then on_close runs. After an end has closed or
//   ended, write() returns bad_handle.
// - Destroying an end's object is close() without any callback of it running again.
// - An end whose node is frozen (its NodeGate holds) reads nothing: arrived chunks
//   wait in its inbox (the window then stops the peer's writer), and one held drain
//   reads them after the thaw. Its write completions and on_close are held too, in
//   order; the bytes themselves leave on time. A held callback of an end whose object
//   has been destroyed meanwhile never runs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "io/network.h"
#include "netsim/fabric.h"
#include "sim/node_gate.h"
#include "sim/ring.h"

namespace hamirror::netsim {

// Chunks of a stream on the wire are at most this large (a TSO-sized segment).
constexpr std::size_t kMaxChunkBytes = 64 * 1024;
// Writes queued per end, however small: zero-byte writes must not pile up either.
constexpr std::size_t kMaxQueuedWrites = 1 << 20;

class StreamPair : public std::enable_shared_from_this<StreamPair> {
 public:
  using DataFn = io::StreamConnection::DataFn;
  using SharedDataFn = io::StreamConnection::SharedDataFn;
  using CloseFn = io::StreamConnection::CloseFn;
  using WriteDoneFn = io::StreamConnection::WriteDoneFn;
  static constexpr int kConnector = 0;
  static constexpr int kAcceptor = 1;

  struct EndInfo {
    io::Address address;
    std::string node;
    sim::NodeGate* gate = nullptr;  // the node's; null: never frozen
  };

  StreamPair(Fabric& fabric, std::uint64_t id, std::string network, EndInfo connector, EndInfo acceptor);
  StreamPair(const StreamPair&) = delete;
  StreamPair& operator=(const StreamPair&) = delete;

  // io::StreamConnection, for one side (kConnector or kAcceptor).
  // One of on_data and on_shared is set.
  void set_handlers(int side, DataFn on_data, SharedDataFn on_shared, CloseFn on_close);
  // Why a write cannot be accepted now (bad_handle, would_block), or ok.
  io::Error refusal(int side) const;
  // Queues `head` then `tail` as one write (both kept: its chunks on the wire are
  // slices of them).
  io::Error write(int side, io::SharedBytes head, io::SharedBytes tail, WriteDoneFn on_done);
  std::size_t pending_write_bytes(int side) const { return ends_[side].pending_bytes; }
  void pause_reading(int side);
  void resume_reading(int side);
  void close(int side);
  // The side's object is gone: close(), and never run its callbacks again.
  void destroy(int side);
  const io::Address& address(int side) const { return ends_[side].info.address; }

  // The fabric's cuts changed: hold or release chunks, arm or disarm the break.
  void partitions_changed();
  // Nothing more can happen on this stream.
  bool finished() const;

 private:
  // A write's bytes, taken (or copied once) when it is accepted and never changed afterwards:
  // its chunks on the wire are slices of them, so a 1 MiB write is not copied again
  // per 64 KiB segment. The last chunk to arrive (or be dropped) frees them.
  using Parts = std::array<io::SharedBytes, 2>;
  struct Write {
    std::uint64_t seq;
    std::size_t size;
    Parts parts;  // head and tail; released once every byte is on the wire
    std::size_t sent;
    WriteDoneFn on_done;
  };
  struct Chunk {
    Parts parts;  // its bytes: one slice, or two when it spans head and tail; none for a FIN
    std::size_t size;
    bool fin;
    std::int64_t arrival_ns;
  };
  // Bytes [offset, offset + size) of a write's parts, as one or two slices.
  static Parts slice(const Parts& parts, std::size_t offset, std::size_t size);
  struct Handlers {
    DataFn on_data;
    SharedDataFn on_shared;
    CloseFn on_close;
  };
  struct End {
    EndInfo info;
    // Shared so a running callback survives its object being destroyed inside it.
    std::shared_ptr<Handlers> handlers;
    bool handlers_set = false;
    bool alive = true;    // its StreamConnection object exists
    bool closed = false;  // close() or destroyed: flushes, sends FIN, reads no more
    bool ended = false;   // FIN read or stream broken: nothing more in or out
    bool paused = false;
    bool drain_posted = false;
    bool drain_held = false;  // a drain waits in the frozen node's gate
    std::optional<io::Error> unreported_end;  // ended before set_handlers
    // Writing: accepted writes with bytes still to send, then those waiting to complete.
    // sim::Ring, not std::deque: a deque allocates a block every few writes or chunks.
    sim::Ring<Write> unsent;
    sim::Ring<Write> awaiting;
    std::size_t pending_bytes = 0;
    std::int64_t last_done_ns = 0;  // completions never go back in time
    bool fin_sent = false;
    // This end's flight to the other: chunks on the wire in arrival order.
    sim::Ring<Chunk> wire;
    std::size_t window_used = 0;  // bytes on the wire plus those in the peer's inbox
    std::int64_t last_arrival_ns = 0;
    bool stalled = false;  // the front chunk waits at a partition
    sim::Scheduler::EventId arrival_event = 0;
    // Reading: arrived from the other end, not yet handed to on_data.
    sim::Ring<Chunk> inbox;
  };

  End& peer(int side) { return ends_[1 - side]; }
  bool path_blocked(int from_side) const;
  bool can_read(int side) const;
  // "stream#N from>to", the trace's name for what leaves `from_side`.
  const std::string& label(int from_side) const { return labels_[from_side]; }

  void pump(int side);
  std::int64_t send_chunk(int side, Chunk chunk);
  void schedule_arrival(int side);
  void arrive(int side);
  void post_drain(int side);
  void drain(int side);
  void drain_now(int side);
  // Records one chunk and hands its slices to the reader, which may stop between them.
  void deliver(int side, const Chunk& chunk);
  void hold_drain(int side);
  bool holding(int side) const {
    const sim::NodeGate* gate = ends_[side].info.gate;
    return gate != nullptr && gate->holding();
  }
  // Runs a callback for `side`'s owner: now, or after the thaw while its node is
  // frozen, and then only if the end's object still exists.
  template <typename Fn>
  void call(int side, Fn fn) {
    if (!holding(side)) {
      fn();
      return;
    }
    ends_[side].info.gate->run([self = shared_from_this(), side, fn = std::move(fn)] {
      if (self->ends_[side].alive) fn();
    });
  }
  void complete(int side, std::uint64_t seq);
  void fail_writes(int side, io::Error reason);
  void end(int side, io::Error reason);
  void discard_inbox(int side);
  void release(int side);
  void break_now();

  Fabric& fabric_;
  std::uint64_t id_;
  std::string network_;
  std::array<End, 2> ends_;
  std::array<std::string, 2> labels_;  // made once: every chunk's trace line names its stream
  std::string deliver_line_;
  bool broken_ = false;
  sim::Scheduler::EventId break_event_ = 0;
  std::uint64_t next_write_seq_ = 1;
};

}  // namespace hamirror::netsim
