// What happened on the simulated network, counted: tests assert on these, the fault
// runner prints them next to the seed.
#pragma once

#include <cstdint>

namespace hamirror::netsim {

struct Counters {
  // Datagrams. sent counts send_to calls that returned ok; a duplicate adds one to
  // duplicated (and, if it arrives, one more to delivered).
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_delivered = 0;
  std::uint64_t datagrams_duplicated = 0;
  std::uint64_t datagrams_reordered = 0;  // given the extra reordering delay
  std::uint64_t datagrams_dropped_loss = 0;
  std::uint64_t datagrams_dropped_partition = 0;
  // Unknown host, a host on another network, or no endpoint bound at arrival.
  std::uint64_t datagrams_dropped_unroutable = 0;
  std::uint64_t datagrams_dropped_queue_full = 0;  // kMaxDatagramsInFlightPerLink
  // Arrived at a frozen node whose receive buffer was full (kMaxHeldDatagrams).
  std::uint64_t datagrams_dropped_buffer_full = 0;

  std::uint64_t datagrams_dropped() const {
    return datagrams_dropped_loss + datagrams_dropped_partition + datagrams_dropped_unroutable +
           datagrams_dropped_queue_full + datagrams_dropped_buffer_full;
  }

  // Streams.
  std::uint64_t connects_started = 0;
  std::uint64_t streams_opened = 0;  // accepted by a listener
  std::uint64_t connects_refused = 0;
  std::uint64_t connects_timed_out = 0;
  std::uint64_t connects_unreachable = 0;
  std::uint64_t stream_bytes_written = 0;    // accepted by write()
  std::uint64_t stream_bytes_delivered = 0;  // handed to on_data
  std::uint64_t stream_bytes_discarded = 0;  // reached an end that had closed
  std::uint64_t stream_chunks_held = 0;      // a partition held a chunk back
  std::uint64_t stream_retransmits = 0;      // chunks the link "lost" and resent
  std::uint64_t stream_breaks = 0;           // streams broken by a long partition
};

}  // namespace hamirror::netsim
