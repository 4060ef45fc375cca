// Replay protection for authenticated datagrams (see sealed_datagram.h): per sender
// address, the boot id and the highest counter accepted, and the newest timestamp.
//
// - Same boot id: accepted only with a counter above the highest seen. A datagram that
//   arrives after a later one (reordering) is refused too; heartbeats and lease
//   messages are superseded by the next one anyway.
// - New boot id (the sender restarted): accepted only when its timestamp is newer than
//   the newest seen from that address, so datagrams recorded before the restart stay
//   refused.
//
// What it does NOT prevent (the remaining window):
// - After the RECEIVER restarts its table is empty: an attacker who recorded the
//   sender's datagrams can replay each of them once, in counter order, until the
//   sender's next live datagram moves the counter past them. They are authentic and
//   at most as old as the recording; a replayed heartbeat says "the peer was alive".
// - An attacker able to forge the source address can replay a datagram once under an
//   address the receiver has no entry for (or whose entry was evicted, see
//   kMaxTrackedSenders).
// - A sender whose wall clock stepped back across its restart is refused until its
//   clock passes the newest timestamp seen from it (a restart is not reported, so a
//   receiver cannot tell this from a replay). Receivers compare a sender's timestamps
//   only with that sender's own, so the two nodes' clocks need not agree.
#pragma once

#include <cstdint>
#include <map>

#include "auth/sealed_datagram.h"
#include "io/network.h"

namespace hamirror::auth {

// Bounds the table; beyond it the sender silent longest is forgotten.
constexpr std::size_t kMaxTrackedSenders = 64;

enum class ReplayVerdict {
  accepted,
  replayed,    // counter not above the highest seen for this boot id
  stale_boot,  // a boot id other than the current one, with a timestamp not newer
};

class ReplayGuard {
 public:
  // `now_ns` (monotonic) only orders the entries for eviction.
  ReplayVerdict check(const io::Address& from, const DatagramHeader& header, std::int64_t now_ns);

 private:
  struct Sender {
    std::uint64_t boot_id = 0;
    std::uint64_t highest_counter = 0;
    std::uint64_t newest_time_ms = 0;
    std::int64_t last_accepted_ns = 0;
  };
  void evict_one();

  std::map<io::Address, Sender> senders_;
};

}  // namespace hamirror::auth
