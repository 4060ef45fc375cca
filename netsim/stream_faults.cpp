// What partitions do to a simulated stream: hold its chunks at the cut, release them
// on heal, and break the stream when the cut outlasts stream_break_timeout_ns.
#include <algorithm>

#include "io/assert.h"
#include "netsim/stream_pair.h"

namespace hamirror::netsim {

bool StreamPair::path_blocked(int from_side) const {
  return fabric_.blocked(ends_[from_side].info.node, ends_[1 - from_side].info.node, network_);
}

void StreamPair::partitions_changed() {
  if (finished()) return;
  // Either direction counts: data one way and acknowledgements the other both matter.
  const bool blocked = path_blocked(kConnector) || path_blocked(kAcceptor);
  if (blocked && break_event_ == 0) {
    fabric_.record("stream#" + std::to_string(id_) + " cut");
    break_event_ = fabric_.post_after(fabric_.options().stream_break_timeout_ns,
                                      [self = shared_from_this()] { self->break_now(); });
  } else if (!blocked && break_event_ != 0) {
    fabric_.record("stream#" + std::to_string(id_) + " rejoined");
    fabric_.cancel(break_event_);
    break_event_ = 0;
  }
  for (int side : {kConnector, kAcceptor}) {
    if (ends_[side].stalled && !path_blocked(side)) release(side);
  }
}

// The cut in front of `side`'s flight healed: the held chunks (retransmitted by the
// sender) arrive one latency from now, still in order.
void StreamPair::release(int side) {
  End& e = ends_[side];
  HM_ASSERT(e.stalled && e.arrival_event == 0);
  e.stalled = false;
  const LinkOptions& options = fabric_.links().options(network_, e.info.address.host, peer(side).info.address.host);
  std::int64_t floor_ns = fabric_.now_ns() + draw_latency_ns(options, fabric_.prng());
  for (Chunk& chunk : e.wire) {
    chunk.arrival_ns = std::max(chunk.arrival_ns, floor_ns);
    floor_ns = chunk.arrival_ns;
  }
  e.last_arrival_ns = std::max(e.last_arrival_ns, floor_ns);
  fabric_.record(label(side) + " released " + std::to_string(e.wire.size()) + " chunks");
  schedule_arrival(side);
}

void StreamPair::break_now() {
  break_event_ = 0;
  if (finished()) return;
  broken_ = true;
  ++fabric_.counters().stream_breaks;
  fabric_.record("stream#" + std::to_string(id_) + " break timed_out");
  // Nothing in flight or unread survives the break.
  for (End& e : ends_) {
    if (e.arrival_event != 0) fabric_.cancel(e.arrival_event);
    e.arrival_event = 0;
    e.stalled = false;
    e.wire.clear();
    e.inbox.clear();
    e.window_used = 0;
  }
  end(kConnector, io::Error::timed_out);
  end(kAcceptor, io::Error::timed_out);
}

}  // namespace hamirror::netsim
