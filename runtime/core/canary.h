// Planted-bug canaries (issue #4, section 6): test-only switches that plant classic
// replication bugs at the exact spot in the protocol where each would live, so the
// fault-injection runner can prove its outside checks find them. A checker that has
// never failed proves nothing.
//
// Never reachable in production: canary_planted() is `constexpr false` unless the core
// is compiled with HAMIRROR_PROTOCOL_CANARIES, and only hamirror_core_canaries (the
// same sources, linked by the runner, hamirror-chaos and their tests alone) is. The
// daemon, the CLI and the core's unit tests link hamirror_core, where every planted
// branch folds away.
//
// In hamirror_core_canaries the planted canary belongs to the calling thread
// (ScopedProtocolCanary): the runner runs one seed per thread, two at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hamirror::core {

enum class ProtocolCanary : std::uint8_t {
  none,
  ack_before_peer_ack,                 // a primary acknowledges a write before its secondary did
  skip_persisting_dirty_regions,       // the activity log admits writes before their extent is on disk
  promote_stale_node,                  // an outdated or inconsistent copy may become primary
  ignore_witness,                      // a node acts as if it held the witness lease
  fsync_without_peer_fsync,            // a durable checkpoint completes without the secondary's sync
  apply_out_of_order,                  // the secondary applies a write after the op that followed it
  alone_without_outdated_confirmation, // a PRIM that lost the link goes ALONE without the secondary's word
  no_activity_record_while_prim,       // a PRIM records nothing of what its writes touch
  resync_block_over_live_write,        // a resync block read before a live write is sent after it
};
inline constexpr ProtocolCanary kProtocolCanaries[] = {
    ProtocolCanary::ack_before_peer_ack,           ProtocolCanary::skip_persisting_dirty_regions,
    ProtocolCanary::promote_stale_node,            ProtocolCanary::ignore_witness,
    ProtocolCanary::fsync_without_peer_fsync,      ProtocolCanary::apply_out_of_order,
    ProtocolCanary::alone_without_outdated_confirmation, ProtocolCanary::no_activity_record_while_prim,
    ProtocolCanary::resync_block_over_live_write,
};
std::string_view protocol_canary_name(ProtocolCanary canary);
std::optional<ProtocolCanary> protocol_canary_from_name(std::string_view name);

#ifdef HAMIRROR_PROTOCOL_CANARIES

// The calling thread's planted canary (none unless a ScopedProtocolCanary is alive).
ProtocolCanary planted_protocol_canary();
inline bool canary_planted(ProtocolCanary canary) { return planted_protocol_canary() == canary; }

// Plants `canary` on this thread for the object's lifetime (one run of the runner).
class ScopedProtocolCanary {
 public:
  explicit ScopedProtocolCanary(ProtocolCanary canary);
  ~ScopedProtocolCanary();
  ScopedProtocolCanary(const ScopedProtocolCanary&) = delete;
  ScopedProtocolCanary& operator=(const ScopedProtocolCanary&) = delete;

 private:
  ProtocolCanary previous_;
};

#else

constexpr bool canary_planted(ProtocolCanary) { return false; }

#endif

}  // namespace hamirror::core
