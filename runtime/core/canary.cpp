#include "core/canary.h"

namespace hamirror::core {

std::string_view protocol_canary_name(ProtocolCanary canary) {
  switch (canary) {
    case ProtocolCanary::none: return "none";
    case ProtocolCanary::ack_before_peer_ack: return "ack_before_peer_ack";
    case ProtocolCanary::skip_persisting_dirty_regions: return "skip_persisting_dirty_regions";
    case ProtocolCanary::promote_stale_node: return "promote_stale_node";
    case ProtocolCanary::ignore_witness: return "ignore_witness";
    case ProtocolCanary::fsync_without_peer_fsync: return "fsync_without_peer_fsync";
    case ProtocolCanary::apply_out_of_order: return "apply_out_of_order";
    case ProtocolCanary::alone_without_outdated_confirmation: return "alone_without_outdated_confirmation";
    case ProtocolCanary::no_activity_record_while_prim: return "no_activity_record_while_prim";
    case ProtocolCanary::resync_block_over_live_write: return "resync_block_over_live_write";
  }
  return "unknown";
}

std::optional<ProtocolCanary> protocol_canary_from_name(std::string_view name) {
  for (const ProtocolCanary canary : kProtocolCanaries) {
    if (protocol_canary_name(canary) == name) return canary;
  }
  return std::nullopt;
}

#ifdef HAMIRROR_PROTOCOL_CANARIES

namespace {
// Per thread: the runner's threads each run their own seed, with their own canary.
thread_local ProtocolCanary planted_on_this_thread = ProtocolCanary::none;
}  // namespace

ProtocolCanary planted_protocol_canary() { return planted_on_this_thread; }

ScopedProtocolCanary::ScopedProtocolCanary(ProtocolCanary canary) : previous_(planted_on_this_thread) {
  planted_on_this_thread = canary;
}

ScopedProtocolCanary::~ScopedProtocolCanary() { planted_on_this_thread = previous_; }

#endif

}  // namespace hamirror::core
