// The witness lease's two messages (type numbers in core/wire/frame.h, 32..47), and
// how each travels: one frame per datagram.
//
// Why datagrams and not a stream. A lease is a question of timing, and the client
// already counts every grant from the moment it SENT the request (lease_timing.h), so
// a late, lost, duplicated or reordered answer can only shorten the lease, never
// stretch it; retrying is simply the next request, one per kRenewIntervalMs. A stream
// would add what a lease does not want: head-of-line blocking (a retransmitted
// segment holds every later renewal back), a connect timeout and a break timeout to
// tune against the term, and per-client connection state on the witness. Each
// request is answered by one reply to the address it came from; the witness keeps no
// connection and no timer.
//
// Matching. A reply echoes the request's (client_nonce, request_id). The nonce is
// drawn from io::Prng once per LeaseClient, so a reply meant for a previous run of the
// node (same node name, ids counting from 1 again) is not mistaken for an answer to a
// new request sent later: that would count the old grant from a later send time.
//
// Framing and authentication. Each datagram is exactly one frame (frame.h) with the
// request id as its sequence number. The frame's tag stays all zero for now: the
// authentication issue fills it in encode_datagram() and checks it in
// decode_datagram(), before the body is decoded, and nowhere else. Until then anyone
// who can reach the witness can ask it for the lease under a configured node name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/heartbeat_codec.h"
#include "core/wire/frame_decoder.h"
#include "core/wire/message_codec.h"
#include "io/bytes.h"

namespace hamirror::core::witness {

// The ids a request may list as the requester's older generations (generation.h
// keeps at most this many).
constexpr std::size_t kMaxLeaseHistory = 16;
// The generations a request may list as discarded by the admin (generation.h keeps at
// most this many).
constexpr std::size_t kMaxLeaseDiscarded = 4;

// Asks for the lease, or renews it: the witness does not distinguish the two.
//
// Each request carries the requester's data generation (generation.h): the witness
// records a holder's once that holder is about to acknowledge writes alone on it
// (`acknowledges_alone`), and grants the lease to the other node only if that node's
// data is at least as new — so a node that restarted without meeting its peer never
// takes over on a copy older than what the holder acknowledged alone. `force` is the
// admin's primforce: granted whatever the data (the timing rules still hold).
//
// `acknowledges_alone` came after the first fields: the decoder is strict (exactly the
// declared fields), so a node and a witness built before it cannot decode each other's
// requests and the witness grants such a node nothing — the safe side of a mismatch.
struct LeaseRequest {
  std::string node_name;
  std::uint64_t client_nonce = 0;
  std::uint64_t request_id = 0;  // 1, 2, 3, ... per client
  std::uint64_t data_generation = 0;               // GenerationInfo::current
  std::vector<std::uint64_t> data_history;         // GenerationInfo::history
  bool force = false;
  // The requester holds (or is asking for) the lease to acknowledge writes alone on
  // `data_generation` and has an acknowledgement waiting for it: record that
  // generation first. Without it a grant or a renewal leaves the record as it was.
  bool acknowledges_alone = false;
  // GenerationInfo::discarded: generations an admin's `prim` here chose to overwrite
  // (the other side of a split brain). A record naming one of them does not refuse
  // this node: the admin's word, recorded on its disk, outranks it as it outranks the
  // histories when the nodes meet. Only those: a newer generation the other side
  // acknowledged alone in since still refuses it (only primforce overrides that).
  std::vector<std::uint64_t> data_discarded;

  HM_WIRE_MESSAGE(wire::MessageType::lease_request, "lease_request")
  HM_WIRE_FIELDS(node_name, client_nonce, request_id, data_generation, data_history, force, acknowledges_alone,
                 data_discarded)
  static constexpr std::size_t kMaxBodyBytes = 400;

  std::string check() const {
    if (node_name.empty()) return "empty node name";
    if (node_name.size() > kMaxNodeNameBytes) return "node name longer than " + std::to_string(kMaxNodeNameBytes);
    if (request_id == 0) return "request id 0";
    if (data_history.size() > kMaxLeaseHistory) return "history longer than " + std::to_string(kMaxLeaseHistory);
    if (data_discarded.size() > kMaxLeaseDiscarded) {
      return "more than " + std::to_string(kMaxLeaseDiscarded) + " discarded generations";
    }
    return {};
  }
  friend bool operator==(const LeaseRequest&, const LeaseRequest&) = default;
};

enum class LeaseAnswer : std::uint8_t {
  granted = 1,        // the lease is the requester's, with `epoch`, for `term_ms`
  held_by_other = 2,  // `holder` has it (or is being granted it) under `epoch`
  starting = 3,       // the witness (re)started and grants nothing for `free_in_ms`
  // The holder acknowledged writes on data newer than the requester's (generation
  // `data_generation`): only the admin's primforce takes the lease on this copy.
  stale_data = 4,
};

struct LeaseReply {
  std::uint64_t client_nonce = 0;
  std::uint64_t request_id = 0;
  LeaseAnswer answer = LeaseAnswer::granted;
  std::uint64_t epoch = 0;
  std::string holder;           // granted: the requester; held_by_other: the other node
  std::uint64_t term_ms = 0;    // granted: the witness's term; the client uses the shorter
  std::uint64_t free_in_ms = 0; // not granted: earliest the lease may be free, for logs
  // The data generation the witness now records (a holder may acknowledge alone only
  // on a generation the witness recorded): granted, the requester's own once it asked
  // for the record (or forced the grant), else the last one recorded; stale_data, the
  // newer one it was compared with.
  std::uint64_t data_generation = 0;

  HM_WIRE_MESSAGE(wire::MessageType::lease_reply, "lease_reply")
  HM_WIRE_FIELDS(client_nonce, request_id, answer, epoch, holder, term_ms, free_in_ms, data_generation)
  static constexpr std::size_t kMaxBodyBytes = 160;

  std::string check() const {
    if (answer < LeaseAnswer::granted || answer > LeaseAnswer::stale_data) {
      return "unknown answer " + std::to_string(static_cast<int>(answer));
    }
    if (holder.size() > kMaxNodeNameBytes) return "holder name longer than " + std::to_string(kMaxNodeNameBytes);
    if (request_id == 0) return "request id 0";
    if (answer == LeaseAnswer::granted && (epoch == 0 || term_ms == 0)) return "a grant without epoch or term";
    return {};
  }
  friend bool operator==(const LeaseReply&, const LeaseReply&) = default;
};

// One message as one datagram: a frame whose sequence is the request id.
template <wire::WireMessage M>
io::Bytes encode_datagram(const M& message) {
  // Authentication hook: the tag is computed here (frame.h says what it covers).
  return wire::encode_frame(M::kType, message.request_id, wire::encode_body(message));
}

// Checks that `datagram` is exactly one well-formed frame; "" when it is, else why
// not. frame.payload views `datagram` (or the decoder's buffer) while both live.
std::string unframe_datagram(wire::FrameDecoder& decoder, io::ByteView datagram, wire::Frame& frame);

template <wire::WireMessage M>
wire::Decoded<M> decode_datagram(io::ByteView datagram) {
  wire::FrameDecoder decoder;
  wire::Frame frame;
  if (std::string problem = unframe_datagram(decoder, datagram, frame); !problem.empty()) {
    return wire::Decoded<M>::failure(std::move(problem));
  }
  // Authentication hook: verify frame.header.tag here, before the body is decoded.
  auto decoded = wire::decode_message<M>(frame);
  if (decoded && decoded.value().request_id != frame.header.sequence) {
    return wire::Decoded<M>::failure(std::string(M::kName) + ": frame sequence differs from the request id");
  }
  return decoded;
}

}  // namespace hamirror::core::witness
