// The data path of a simulated stream: writes, the wire, the reader. Partitions and
// breaks are in stream_faults.cpp.
#include "netsim/stream_pair.h"

#include <algorithm>
#include <cstddef>
#include <utility>

#include "io/assert.h"

namespace hamirror::netsim {

StreamPair::StreamPair(Fabric& fabric, std::uint64_t id, std::string network, EndInfo connector, EndInfo acceptor)
    : fabric_(fabric), id_(id), network_(std::move(network)) {
  ends_[kConnector].info = std::move(connector);
  ends_[kAcceptor].info = std::move(acceptor);
  for (int side : {kConnector, kAcceptor}) {
    labels_[side] = "stream#" + std::to_string(id_) + " " + io::to_string(ends_[side].info.address) + ">" +
                    io::to_string(ends_[1 - side].info.address);
  }
}

bool StreamPair::can_read(int side) const {
  const End& e = ends_[side];
  return e.alive && e.handlers && !e.paused && !e.closed && !e.ended;
}

void StreamPair::set_handlers(int side, DataFn on_data, SharedDataFn on_shared, CloseFn on_close) {
  End& e = ends_[side];
  HM_ASSERT((on_data == nullptr) != (on_shared == nullptr) && on_close);
  HM_ASSERT(e.alive && !e.handlers_set);  // once, before anything is delivered
  e.handlers_set = true;
  e.handlers = std::make_shared<Handlers>(Handlers{std::move(on_data), std::move(on_shared), std::move(on_close)});
  if (!e.inbox.empty() || e.unreported_end) post_drain(side);
}

io::Error StreamPair::refusal(int side) const {
  const End& e = ends_[side];
  HM_ASSERT(e.alive);
  if (e.closed || e.ended) return io::Error::bad_handle;
  if (e.pending_bytes >= io::kMaxPendingWriteBytes) return io::Error::would_block;
  if (e.unsent.size() + e.awaiting.size() >= kMaxQueuedWrites) return io::Error::would_block;
  return io::Error::ok;
}

io::Error StreamPair::write(int side, io::SharedBytes head, io::SharedBytes tail, WriteDoneFn on_done) {
  if (const io::Error refused = refusal(side); refused != io::Error::ok) return refused;
  End& e = ends_[side];
  const std::size_t size = head.size() + tail.size();
  e.unsent.push_back(Write{next_write_seq_++, size, Parts{std::move(head), std::move(tail)}, 0, std::move(on_done)});
  e.pending_bytes += size;
  fabric_.counters().stream_bytes_written += size;
  pump(side);
  return io::Error::ok;
}

void StreamPair::pause_reading(int side) { ends_[side].paused = true; }

void StreamPair::resume_reading(int side) {
  End& e = ends_[side];
  if (!e.paused) return;
  e.paused = false;
  // Held data is delivered from the loop, never inside resume_reading itself.
  if (!e.inbox.empty()) post_drain(side);
}

void StreamPair::close(int side) {
  End& e = ends_[side];
  if (e.closed) return;
  e.closed = true;
  fabric_.record(label(side) + " close");
  discard_inbox(side);
  pump(side);  // FIN goes out once the queued writes have
  pump(1 - side);
}

void StreamPair::destroy(int side) {
  End& e = ends_[side];
  HM_ASSERT(e.alive);
  e.alive = false;
  e.handlers.reset();
  e.unreported_end.reset();
  e.info.gate = nullptr;  // nothing of this end is called any more; the node may go
  // Their bytes still flush; their completions never run, so let them go now.
  for (Write& write : e.unsent) write.on_done = nullptr;
  for (Write& write : e.awaiting) write.on_done = nullptr;
  close(side);
}

// Moves queued bytes onto the wire while the window allows, then the FIN.
void StreamPair::pump(int side) {
  End& e = ends_[side];
  if (broken_ || e.ended) return;
  const std::size_t window = fabric_.options().stream_window_bytes;
  while (!e.unsent.empty() && e.window_used < window) {
    Write& write = e.unsent.front();
    const std::size_t size = std::min({write.size - write.sent, kMaxChunkBytes, window - e.window_used});
    std::int64_t done_ns = fabric_.now_ns();
    if (size > 0) {
      done_ns = send_chunk(side, Chunk{slice(write.parts, write.sent, size), size, false, 0});
      write.sent += size;
    }
    if (write.sent < write.size) continue;
    e.last_done_ns = std::max(e.last_done_ns, done_ns);
    const std::uint64_t seq = write.seq;
    write.parts = Parts{};
    e.awaiting.push_back(std::move(write));
    e.unsent.pop_front();
    fabric_.post_at(e.last_done_ns, [self = shared_from_this(), side, seq] { self->complete(side, seq); });
  }
  if (e.unsent.empty() && e.closed && !e.fin_sent) {
    e.fin_sent = true;
    send_chunk(side, Chunk{Parts{}, 0, true, 0});
  }
}

StreamPair::Parts StreamPair::slice(const Parts& parts, std::size_t offset, std::size_t size) {
  HM_ASSERT(offset + size <= parts[0].size() + parts[1].size());
  Parts out;
  std::size_t n = 0;
  const std::size_t head = parts[0].size();
  if (offset < head) {
    const std::size_t taken = std::min(size, head - offset);
    out[n++] = parts[0].slice(offset, taken);
    offset += taken;
    size -= taken;
  }
  if (size > 0) out[n] = parts[1].slice(offset - head, size);
  return out;
}

// Puts one chunk on the wire; returns when its last byte has left.
std::int64_t StreamPair::send_chunk(int side, Chunk chunk) {
  End& e = ends_[side];
  const std::string& to_host = peer(side).info.address.host;
  const LinkOptions options = fabric_.links().options(network_, e.info.address.host, to_host);
  const std::int64_t sent_ns =
      fabric_.links().transmit(e.info.address.host, to_host, chunk.size, options, fabric_.now_ns());
  std::int64_t latency_ns = draw_latency_ns(options, fabric_.prng());
  if (fabric_.prng().chance(options.loss_probability)) {
    latency_ns += fabric_.options().stream_retransmit_ns;
    ++fabric_.counters().stream_retransmits;
    fabric_.record(label(side) + " retransmit");
  }
  e.last_arrival_ns = std::max(sent_ns + latency_ns, e.last_arrival_ns);
  e.window_used += chunk.size;
  HM_ASSERT(e.window_used <= fabric_.options().stream_window_bytes);
  chunk.arrival_ns = e.last_arrival_ns;
  e.wire.push_back(std::move(chunk));
  schedule_arrival(side);
  return sent_ns;
}

void StreamPair::schedule_arrival(int side) {
  End& e = ends_[side];
  if (e.arrival_event != 0 || e.stalled || e.wire.empty()) return;
  const std::int64_t at_ns = std::max(e.wire.front().arrival_ns, fabric_.now_ns());
  e.arrival_event = fabric_.post_at(at_ns, [self = shared_from_this(), side] { self->arrive(side); });
}

// The front chunk of `side`'s flight reaches the other end (or a partition).
void StreamPair::arrive(int side) {
  End& e = ends_[side];
  End& p = peer(side);
  e.arrival_event = 0;
  HM_ASSERT(!broken_ && !e.wire.empty());  // a break cancels this event
  if (path_blocked(side)) {
    e.stalled = true;
    ++fabric_.counters().stream_chunks_held;
    fabric_.record(label(side) + " held by partition");
    return;
  }
  Chunk chunk = std::move(e.wire.front());
  e.wire.pop_front();
  schedule_arrival(side);
  if (p.closed || p.ended) {
    e.window_used -= chunk.size;
    fabric_.counters().stream_bytes_discarded += chunk.size;
    if (chunk.size > 0) fabric_.record(label(side) + " discard " + std::to_string(chunk.size) + "B");
    pump(side);
    return;
  }
  p.inbox.push_back(std::move(chunk));
  drain(1 - side);
}

void StreamPair::post_drain(int side) {
  End& e = ends_[side];
  if (e.drain_posted) return;
  e.drain_posted = true;
  fabric_.post_after(0, [self = shared_from_this(), side] {
    self->ends_[side].drain_posted = false;
    self->drain(side);
  });
}

// Hands the inbox to on_data while the reader reads; called from events only.
void StreamPair::drain(int side) {
  if (holding(side)) return hold_drain(side);
  drain_now(side);
}

// A frozen reader reads after the thaw, once, whatever has arrived by then.
void StreamPair::hold_drain(int side) {
  End& e = ends_[side];
  if (e.drain_held) return;
  e.drain_held = true;
  e.info.gate->run([self = shared_from_this(), side] {
    self->ends_[side].drain_held = false;
    self->drain_now(side);
  });
}

void StreamPair::drain_now(int side) {
  End& e = ends_[side];
  if (e.unreported_end && e.handlers && e.alive && !e.closed) {
    const io::Error reason = *e.unreported_end;
    e.unreported_end.reset();
    auto handlers = e.handlers;
    handlers->on_close(reason);
    return;
  }
  while (!e.inbox.empty() && can_read(side)) {
    if (e.info.gate != nullptr && e.info.gate->frozen()) {  // on_data froze its own node
      hold_drain(side);
      break;
    }
    Chunk chunk = std::move(e.inbox.front());
    e.inbox.pop_front();
    if (chunk.fin) {
      fabric_.record(label(1 - side) + " end_of_stream");
      end(side, io::Error::end_of_stream);
      break;
    }
    peer(side).window_used -= chunk.size;
    fabric_.counters().stream_bytes_delivered += chunk.size;
    deliver(side, chunk);
  }
  pump(1 - side);  // the window has room again
}

void StreamPair::deliver(int side, const Chunk& chunk) {
  End& e = ends_[side];
  // Built in a buffer kept across deliveries: a chunk's line costs no allocation.
  std::string& what = deliver_line_;
  what.assign(label(1 - side)).append(" deliver ").append(std::to_string(chunk.size)).append("B");
  if (chunk.parts[1].empty()) {
    fabric_.record(what, chunk.parts[0]);
  } else {
    // Two details rather than one joined copy: the tail, a slice of the writer's
    // buffer (in the runner, of the payload pool), is then folded by its position.
    const std::array<io::ByteView, 2> parts{chunk.parts[0], chunk.parts[1]};
    fabric_.record(what, parts);
  }
  auto handlers = e.handlers;  // on_data may destroy this end's object
  for (const io::SharedBytes& part : chunk.parts) {
    // The reader may stop within a chunk (destroyed, closed); a pause waits for the next one.
    if (part.empty() || !e.alive || e.closed || e.ended) break;
    if (handlers->on_shared) {
      handlers->on_shared(part);
    } else {
      handlers->on_data(part);
    }
  }
}

void StreamPair::complete(int side, std::uint64_t seq) {
  End& e = ends_[side];
  // Absent when the stream ended first: fail_writes has completed it already.
  if (e.awaiting.empty() || e.awaiting.front().seq != seq) return;
  Write write = std::move(e.awaiting.front());
  e.awaiting.pop_front();
  HM_ASSERT(e.pending_bytes >= write.size);
  e.pending_bytes -= write.size;
  if (e.alive && write.on_done) call(side, [done = std::move(write.on_done)] { done(io::Error::ok); });
}

void StreamPair::fail_writes(int side, io::Error reason) {
  End& e = ends_[side];
  HM_ASSERT(e.ended);  // so callbacks cannot queue more writes meanwhile
  while (!e.awaiting.empty() || !e.unsent.empty()) {
    sim::Ring<Write>& queue = e.awaiting.empty() ? e.unsent : e.awaiting;
    Write write = std::move(queue.front());
    queue.pop_front();
    e.pending_bytes -= write.size;
    if (e.alive && write.on_done) call(side, [done = std::move(write.on_done), reason] { done(reason); });
  }
  HM_ASSERT(e.pending_bytes == 0);
}

// The stream has ended for `side`: its writes fail with the reason, then on_close
// runs, unless the end closed locally (a local close is not reported back).
void StreamPair::end(int side, io::Error reason) {
  End& e = ends_[side];
  if (e.ended) return;
  auto keep = shared_from_this();  // the callbacks may destroy the last owner
  e.ended = true;
  discard_inbox(side);
  fail_writes(side, reason);
  if (e.closed || !e.alive) return;
  if (!e.handlers) {
    e.unreported_end = reason;
    return;
  }
  // Held, it still must not report a close the owner made itself after the thaw.
  call(side, [this, side, handlers = e.handlers, reason] {
    if (!ends_[side].closed) handlers->on_close(reason);
  });
}

void StreamPair::discard_inbox(int side) {
  End& e = ends_[side];
  std::size_t bytes = 0;
  for (const Chunk& chunk : e.inbox) bytes += chunk.size;
  HM_ASSERT(peer(side).window_used >= bytes);
  peer(side).window_used -= bytes;
  fabric_.counters().stream_bytes_discarded += bytes;
  e.inbox.clear();
}

bool StreamPair::finished() const {
  if (broken_) return true;
  for (const End& e : ends_) {
    const bool done = e.ended || (e.closed && e.fin_sent && e.wire.empty());
    if (!done) return false;
  }
  return true;
}

}  // namespace hamirror::netsim
