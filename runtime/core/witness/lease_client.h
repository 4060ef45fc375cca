// A node's side of the witness lease: asks for it, renews it, and knows — by its own
// monotonic clock alone, and conservatively — whether it holds it right now.
//
// The node may acknowledge writes alone, or keep / take the VIP, only while
// holds_lease() is true. The rules (lease_timing.h has the proof):
// - The clock is read BEFORE each request is sent; a grant counts from that reading,
//   however late it arrives, and lasts kLeaseTermMs − kClockDriftMarginMs (or less if
//   the witness's term is shorter). So lost, delayed, duplicated or reordered replies
//   can only shorten the lease.
// - holds_lease() compares the live clock with the lease's end: it turns false at that
//   instant even if no callback has run since (a process that was frozen and resumes
//   sees false before it does anything).
// - on_lost is reported at the end (by a timer), and also first thing in any callback
//   that runs later than that: nothing the client receives is handled before a lapse
//   is reported.
// - Any refusal answering a request newer than the last grant ends the lease at once:
//   the witness no longer counts this node as the holder.
//
// - Each request carries this node's data generation (set_data). The witness records
//   it only when asked (may_acknowledge_alone: a write waits to be acknowledged alone
//   on it), and holds_lease_for(generation) tells whether the latest grant recorded
//   that one: a node acknowledges writes alone only then (witness_server.cpp says why
//   the record must never be made for a node that acknowledged nothing alone).
//
// One request per kRenewIntervalMs while the lease is wanted (renewals included), one
// at once when it starts being wanted, and one at once when the data or the wish to
// acknowledge alone changes.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/witness/lease_timing.h"
#include "core/witness/version_mismatch.h"
#include "core/witness/witness_messages.h"
#include "io/io.h"

namespace hamirror::core::witness {

// Send times of the latest requests, to match replies: enough for every request of
// one term (one per interval, plus the few sent when the lease becomes wanted). A
// reply to an older request could not extend the lease anyway and is ignored.
constexpr std::size_t kMaxTrackedRequests = 32;
static_assert(kMaxTrackedRequests >= 2 * (kLeaseTermMs / kRenewIntervalMs) + 2);

struct LeaseClientConfig {
  std::string node_name;
  io::Address local;    // where this node's lease endpoint binds
  io::Address witness;  // where the witness listens
};

class LeaseClient {
 public:
  // What changed, and a sentence saying why, for the node's log.
  struct Listener {
    std::function<void(std::uint64_t epoch, const std::string& reason)> on_acquired;
    std::function<void(const std::string& reason)> on_lost;
    // The witness refuses the lease because the holder acknowledged writes on newer
    // data than this node's (optional; once per refusal that differs from the last).
    std::function<void(const std::string& reason)> on_stale;
    // A renewal recorded a new data generation for this node (optional): what
    // holds_lease_for answers changed.
    std::function<void(std::uint64_t generation)> on_recorded;
    // A reply this node cannot read because the witness speaks another protocol
    // version (optional; at most once a minute).
    std::function<void(const std::string& problem)> on_problem;
  };

  // What the requests say about this node's data (see witness_messages.h).
  struct Data {
    std::uint64_t generation = 0;
    std::vector<std::uint64_t> history;
    bool force = false;  // the admin's primforce
    std::vector<std::uint64_t> discarded;  // GenerationInfo::discarded
    friend bool operator==(const Data&, const Data&) = default;
  };

  // The listener may call want_lease() and the getters, but must not destroy the
  // client from inside a callback.
  LeaseClient(io::Io& io, LeaseClientConfig config, Listener listener);
  ~LeaseClient();
  LeaseClient(const LeaseClient&) = delete;
  LeaseClient& operator=(const LeaseClient&) = delete;

  // Binds the endpoint. Nothing is requested before want_lease(true).
  io::Error start();

  // Starts or stops asking for the lease. Stopping ends a held lease at once
  // (on_lost); the witness keeps it for this node until its term runs out.
  void want_lease(bool wanted);
  bool wants_lease() const { return wanted_; }

  // Sent with every request from now on; a change is sent at once while the lease is
  // wanted.
  void set_data(Data data);

  // True only while a granted lease has not ended by this node's clock.
  bool holds_lease() const;
  // ... and the witness recorded `generation` as this node's data with the latest grant.
  bool holds_lease_for(std::uint64_t generation) const {
    return holds_lease() && granted_generation_ == generation;
  }
  // Asked when a write is ready to be acknowledged alone on `generation` (the current
  // data): holds_lease_for(generation). When the lease is held but the witness has not
  // recorded that generation, the requests ask it to (`acknowledges_alone`) from now
  // until the lease is given up; on_recorded tells when the answer turns.
  bool may_acknowledge_alone(std::uint64_t generation);
  // The held lease's epoch; 0 when none is held.
  std::uint64_t epoch() const { return holds_lease() ? epoch_ : 0; }
  // When the held lease ends, by this node's clock (meaningful while held).
  std::int64_t lease_end_ns() const { return lease_end_ns_; }
  std::uint64_t requests_sent() const { return next_request_id_ - 1; }

 private:
  struct Sent {
    std::uint64_t request_id = 0;
    std::int64_t sent_ns = 0;
  };

  void tick();
  void send_request();
  void receive(io::ByteView datagram);
  void on_granted(const LeaseReply& reply, std::int64_t sent_ns);
  void on_refused(const LeaseReply& reply);
  // Reports the lapse (on_lost) if the lease has ended by now.
  void expire_if_due();
  void on_expiry_timer();
  void arm_expiry_timer();
  void lose(const std::string& reason);

  io::Io& io_;
  LeaseClientConfig config_;
  Listener listener_;
  std::unique_ptr<io::DatagramEndpoint> endpoint_;
  VersionMismatchReport version_report_;
  std::unique_ptr<io::Timer> renew_timer_;
  std::unique_ptr<io::Timer> expiry_timer_;
  const std::uint64_t nonce_;
  std::uint64_t next_request_id_ = 1;
  std::array<Sent, kMaxTrackedRequests> sent_{};
  std::uint64_t newest_answered_ = 0;  // the newest request whose answer was used
  bool wanted_ = false;
  bool held_ = false;  // what the listener was last told
  std::uint64_t epoch_ = 0;
  std::int64_t lease_end_ns_ = 0;
  std::int64_t last_grant_sent_ns_ = 0;  // for the lapse message
  Data data_;
  std::uint64_t granted_generation_ = 0;  // recorded by the witness with the latest grant
  // The generation a write waited to be acknowledged alone on, while the lease was
  // held; 0 when none (or the lease was given up since).
  std::uint64_t alone_generation_ = 0;
  std::string last_stale_;                // the last on_stale reason, not to repeat it
};

}  // namespace hamirror::core::witness
