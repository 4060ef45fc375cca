// The witness: a small arbiter on a third machine that grants one lease at a time to
// one of the cluster's two nodes (see lease_timing.h for the rules and their proof,
// witness_messages.h for the protocol).
//
// - A request from the holder renews its term: it ends kLeaseTermMs after the
//   witness answers, by the witness's own monotonic clock.
// - A request from the other node is granted only once the holder's term ended AND
//   kWitnessGraceMs more passed. Until then it is told who holds the lease.
// - Each new holder gets a new epoch, one above every epoch this witness ever
//   recorded. The epoch is made durable (io::write_file_atomically: temporary file,
//   fsync, rename, directory fsync) BEFORE the grant is sent, so
//   a witness that crashes and restarts never hands out an epoch twice. A failed write
//   still consumes its epoch (it may have reached the disk).
// - After (re)starting, the witness has forgotten who held the lease, so it grants
//   nothing for kLeaseTermMs + kWitnessGraceMs after start(): every term it granted
//   before began before that.
// - It records one data generation (witness_messages.h, LeaseRequest), durably with
//   the epoch before answering, and grants the lease to a node other than the holder
//   only if that node's data is the same generation or newer (the recorded one is its
//   current or in its history), or on the admin's primforce. The record is the
//   holder's generation only once the holder asked for it (`acknowledges_alone`: it
//   has a write to acknowledge alone on that generation) or forced the grant; a
//   lease granted and given back without either leaves the record as it was. The
//   safety argument is in witness_server.cpp, at recorded_generation().
//
// Nothing here uses a timer: expiry is computed when a request arrives.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/witness/version_mismatch.h"
#include "core/witness/witness_messages.h"
#include "io/io.h"

namespace hamirror::core::witness {

// The state file is a few dozen bytes; anything larger is not ours.
constexpr std::uint64_t kMaxWitnessStateBytes = 256;

struct WitnessConfig {
  io::Address local;                       // where the witness listens
  std::array<std::string, 2> node_names;  // the two nodes it arbitrates between
  std::string state_path;                  // the epoch file (its directory must exist)
};

class WitnessServer {
 public:
  struct Listener {
    // A node became the holder. Required.
    std::function<void(const std::string& holder, std::uint64_t epoch, const std::string& reason)> on_grant;
    // Something an operator should see: the state file cannot be read or written, a
    // request from a node that is not configured. Required.
    std::function<void(const std::string& problem)> on_problem;
  };

  // The listener must not destroy the server from inside a callback.
  WitnessServer(io::Io& io, WitnessConfig config, Listener listener);
  ~WitnessServer();
  WitnessServer(const WitnessServer&) = delete;
  WitnessServer& operator=(const WitnessServer&) = delete;

  // Binds the endpoint and reads the epoch file in the background; until both that
  // read succeeded and a full term plus grace passed, requests are answered
  // `starting`. A state file that exists but cannot be read or parsed stops the
  // witness from ever granting (reported through on_problem): guessing could reuse
  // an epoch.
  io::Error start();

  // For status and tests.
  bool loaded() const { return phase_ == Phase::serving; }
  const std::string& holder() const { return holder_; }  // "" before the first grant
  std::uint64_t epoch() const { return epoch_; }            // the latest granted (or loaded)
  std::uint64_t data_generation() const { return data_generation_; }  // the last recorded
  // The end of the holder's term by this witness's clock (meaningful with a holder).
  std::int64_t term_end_ns() const { return term_end_ns_; }
  // The earliest instant, by this witness's clock, it may grant to a node other than
  // the holder.
  std::int64_t free_at_ns() const;

 private:
  enum class Phase : std::uint8_t { idle, loading, serving, failed };
  // A grant, or a holder's renewal that records a new data generation, on its way to
  // the disk: answered once the state file holds it.
  struct PendingGrant {
    io::Address reply_to;
    LeaseRequest request;
    std::uint64_t epoch = 0;
    std::uint64_t data_generation = 0;  // the record once this is on the disk
    std::string reason;
    bool renewal = false;
  };

  void load_state();
  void on_state_loaded(io::Result<io::Bytes> contents);
  void receive(const io::Address& from, io::ByteView datagram);
  void answer(const io::Address& from, const LeaseRequest& request);
  void begin_grant(const io::Address& from, const LeaseRequest& request, std::string reason);
  void begin_recording(PendingGrant grant);
  // The requester's data is at least as new as the recorded generation.
  bool data_is_current(const LeaseRequest& request) const;
  // The record once `request` is granted or renewed.
  std::uint64_t recorded_generation(const LeaseRequest& request) const;
  void finish_grant(io::Error persisted);
  void reply(const io::Address& to, const LeaseRequest& request, LeaseAnswer answer, std::uint64_t epoch,
             const std::string& holder, std::int64_t free_in_ns);
  bool configured(const std::string& node) const;

  io::Io& io_;
  WitnessConfig config_;
  Listener listener_;
  std::unique_ptr<io::DatagramEndpoint> endpoint_;
  VersionMismatchReport version_report_;
  Phase phase_ = Phase::idle;
  std::int64_t started_ns_ = 0;
  std::string holder_;
  std::uint64_t epoch_ = 0;
  // Every epoch handed to the disk so far, written or not: the next one is above it.
  std::uint64_t highest_epoch_used_ = 0;
  std::int64_t term_end_ns_ = 0;
  std::uint64_t data_generation_ = 0;  // the last recorded; 0 before any record
  // A new epoch on its way to the disk. At most one at a time, which is
  // write_file_atomically's precondition (and what io::AtomicFile would queue for).
  std::optional<PendingGrant> pending_;
  // File completions may run after this object is gone; they
  // hold a weak_ptr to this and do nothing once it expired.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The state file's contents, and back (nullopt when it is not one of ours).
struct WitnessState {
  std::uint64_t epoch = 0;
  std::uint64_t data_generation = 0;
  friend bool operator==(const WitnessState&, const WitnessState&) = default;
};
std::string encode_witness_state(const WitnessState& state);
std::optional<WitnessState> decode_witness_state(std::string_view text);

}  // namespace hamirror::core::witness
