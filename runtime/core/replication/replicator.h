// The primary's side of synchronous replication.
//
// Every op submitted is numbered, applied to the local copy, and — while the ack
// policy is wait_for_secondary — sent to the secondary. Its completion runs only when
// the local apply finished AND the secondary acknowledged it: a writer never hears
// "done" for data that only one copy has (RPO 0).
//
// The policy is the node's decision, never the replicator's:
// - wait_for_secondary: completions wait for the secondary's ack. With no secondary
//   attached (the link just broke), they wait: writers block, bounded by the
//   in-flight limits, until the node either re-attaches a secondary or may go on alone.
// - local_only: the node may acknowledge alone (the secondary is known outdated, or
//   this node holds the witness lease): completions need only the local apply, and ops
//   waiting for an ack that will not come complete now.
// - refuse (fenced): new ops fail with read_only, and ops not yet completed fail too —
//   they may exist on this copy only, which the next reintegration overwrites.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/replication/frame_outbox.h"
#include "core/replication/op_applier.h"
#include "core/replication/replication_messages.h"

namespace hamirror::core {

constexpr std::size_t kMaxInFlightOps = 1024;
constexpr std::size_t kMaxInFlightBytes = 64 * 1024 * 1024;

enum class AckPolicy : std::uint8_t { wait_for_secondary, local_only, refuse };
std::string_view ack_policy_name(AckPolicy policy);

class Replicator {
 public:
  using DoneFn = std::function<void(io::Error)>;
  struct Listener {
    // The secondary failed an op this copy applied: the copies differ from `sequence`
    // on, and the node must reintegrate the secondary.
    std::function<void(std::uint64_t sequence, io::Error secondary_result)> on_secondary_failed;
  };

  Replicator(io::FileSystem& fs, std::vector<std::string> roots, Listener listener);

  // ok: accepted; done(result) runs later. would_block: the in-flight bounds are
  // reached (retry after a completion). read_only: the policy is refuse.
  // invalid_argument: the op does not validate. done is not called when not ok.
  io::Error submit(FileOp op, DoneFn done);

  void set_policy(AckPolicy policy);
  AckPolicy policy() const { return policy_; }

  // A synchronised secondary is reachable on `link`: later ops are sent to it. The
  // node attaches only when no op waits for an ack it could no longer get.
  void attach(wire::FramedConnection& link);
  // The link is gone. Ops waiting for the secondary keep waiting (see the policy).
  void detach();
  bool attached() const { return outbox_.attached(); }
  // From the link's handlers. on_frame returns why a frame breaks the protocol ("" if
  // it does not); the caller then fails the link.
  std::string on_frame(const wire::Frame& frame);
  void on_writable() { outbox_.flush(); }

  std::uint64_t next_sequence() const { return next_sequence_; }
  std::size_t in_flight() const { return in_flight_.size(); }
  std::uint64_t ops_completed() const { return ops_completed_; }

 private:
  struct InFlight {
    DoneFn done;
    std::size_t bytes = 0;
    bool local_done = false;
    io::Error local_result = io::Error::ok;
    bool needs_ack = false;  // sent to the secondary and not acknowledged yet
    bool needs_secondary = false;  // must reach the secondary before completing
    io::Error secondary_result = io::Error::ok;
  };
  void on_local_applied(std::uint64_t sequence, io::Error result);
  void on_ack(const OpAck& ack);
  void complete_if_ready(std::uint64_t sequence);

  OpApplier applier_;
  Listener listener_;
  FrameOutbox outbox_;
  AckPolicy policy_ = AckPolicy::wait_for_secondary;
  std::uint64_t next_sequence_ = 1;
  std::map<std::uint64_t, InFlight> in_flight_;
  std::size_t in_flight_bytes_ = 0;
  std::uint64_t ops_completed_ = 0;
};

}  // namespace hamirror::core
