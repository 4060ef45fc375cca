// What the simulated network can get wrong, and how often.
//
// Fault model (TigerBeetle's packet simulator is the model): every option defaults to
// "no fault", so a World built with `Options{}` is a fast, perfect LAN; a fault runner
// turns faults on per seed. Each ordered pair of hosts is a link with its own options,
// resolved from the most specific setting: host pair, then network name, then the
// default.
//
// - Datagrams on a link take a latency drawn uniformly in [latency_min_ns,
//   2 * latency_mean_ns - latency_min_ns] (so the mean is latency_mean_ns), plus jitter
//   in [-jitter_ns, +jitter_ns], never below latency_min_ns. They may be lost,
//   duplicated (each copy has its own latency) or held back by an extra delay in
//   [0, reorder_delay_max_ns], which is how they overtake each other.
// - Streams take the same latencies but stay in order and lose nothing, as TCP does: a
//   chunk that the link "loses" arrives one stream_retransmit_ns later instead;
//   duplication and reordering do not apply to them.
// - bandwidth_bytes_per_s serialises everything a link sends (datagrams and stream
//   chunks): a byte leaves only after the bytes before it; 0 means unlimited.
// Partitions are not link options: World::partition cuts and heals them at run time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "io/clock.h"
#include "io/network.h"

namespace hamirror::netsim {

// A one-way latency of 100 µs: a quiet switched LAN. Fixed (min == mean, no jitter)
// unless a test or the fault runner widens it.
constexpr std::int64_t kDefaultLatencyNs = 100 * io::kNsPerUs;

struct LinkOptions {
  std::int64_t latency_min_ns = kDefaultLatencyNs;
  std::int64_t latency_mean_ns = kDefaultLatencyNs;
  std::int64_t jitter_ns = 0;
  double loss_probability = 0.0;
  double duplicate_probability = 0.0;
  double reorder_probability = 0.0;
  // Only used when reorder_probability > 0.
  std::int64_t reorder_delay_max_ns = 10 * io::kNsPerMs;
  std::uint64_t bandwidth_bytes_per_s = 0;  // 0: unlimited
};

// Not options but part of the model: port 0 binds the next free port of IANA's
// dynamic range, in order, per host and protocol, as most systems do.
constexpr std::uint16_t kFirstEphemeralPort = 49'152;
constexpr std::uint16_t kLastEphemeralPort = 65'535;

// A frozen node's datagram endpoint (see world.h) keeps at most this many arrived
// datagrams for it, a socket receive buffer's worth (Linux's default 208 KiB holds a
// few hundred small ones); more are dropped.
constexpr std::size_t kMaxHeldDatagrams = 256;

// Which way a partition cuts.
enum class Direction : std::uint8_t {
  both,     // neither node hears the other
  one_way,  // the first node's traffic to the second is dropped; the reverse flows
};

struct Options {
  // Every link's options unless World::set_network_link / set_host_link say otherwise.
  LinkOptions link;
  // A connect() that cannot reach its peer (partition) fails with timed_out after this.
  // Shorter than Linux's two minutes of SYN retries: an HA cluster wants to know soon.
  std::int64_t connect_timeout_ns = 5 * io::kNsPerS;
  // A stream whose ends cannot reach each other (in either direction) for longer than
  // this breaks: both ends see timed_out. Models TCP keepalive plus TCP_USER_TIMEOUT,
  // so an idle stream breaks too. A shorter partition only delays the bytes.
  std::int64_t stream_break_timeout_ns = io::kStreamBreakTimeoutMs * io::kNsPerMs;
  // What a "lost" stream chunk costs: TCP's minimum retransmission timeout.
  std::int64_t stream_retransmit_ns = 200 * io::kNsPerMs;
  // Bytes of one direction of a stream that may be in flight or received but not yet
  // read (TCP's window). When the reader is paused the writer stops here, and its
  // writes then queue up to io::kMaxPendingWriteBytes before write() says would_block.
  std::size_t stream_window_bytes = 1024 * 1024;
};

// HM_ASSERTs that the options make sense (probabilities in [0, 1], mean >= min, ...).
void validate(const LinkOptions& options);
void validate(const Options& options);

}  // namespace hamirror::netsim
