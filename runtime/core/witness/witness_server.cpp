#include "core/witness/witness_server.h"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <utility>

#include "core/witness/lease_timing.h"
#include "io/assert.h"
#include "io/atomic_file.h"

namespace hamirror::core::witness {
namespace {

constexpr std::int64_t kTermNs = kLeaseTermMs * io::kNsPerMs;
constexpr std::int64_t kGraceNs = kWitnessGraceMs * io::kNsPerMs;
constexpr std::string_view kStateHeader = "hamirror-witness-state 2\n";

std::uint64_t ceil_ms(std::int64_t ns) {
  return ns <= 0 ? 0 : static_cast<std::uint64_t>((ns + io::kNsPerMs - 1) / io::kNsPerMs);
}

// "<key> <decimal>\n" at the front of `text`, which advances past it.
std::optional<std::uint64_t> take_field(std::string_view& text, std::string_view key) {
  if (!text.starts_with(key) || text.size() <= key.size() || text[key.size()] != ' ') return std::nullopt;
  text.remove_prefix(key.size() + 1);
  const std::size_t end_of_line = text.find('\n');
  if (end_of_line == std::string_view::npos || end_of_line == 0) return std::nullopt;
  const std::string_view digits = text.substr(0, end_of_line);
  if (digits.front() < '0' || digits.front() > '9') return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  text.remove_prefix(end_of_line + 1);
  return value;
}

}  // namespace

std::string encode_witness_state(const WitnessState& state) {
  return std::string(kStateHeader) + "epoch " + std::to_string(state.epoch) + "\ngeneration " +
         std::to_string(state.data_generation) + "\n";
}

std::optional<WitnessState> decode_witness_state(std::string_view text) {
  if (!text.starts_with(kStateHeader)) return std::nullopt;
  text.remove_prefix(kStateHeader.size());
  const auto epoch = take_field(text, "epoch");
  const auto generation = epoch ? take_field(text, "generation") : std::nullopt;
  if (!generation || !text.empty()) return std::nullopt;
  return WitnessState{*epoch, *generation};
}

WitnessServer::WitnessServer(io::Io& io, WitnessConfig config, Listener listener)
    : io_(io), config_(std::move(config)), listener_(std::move(listener)) {
  for (const auto& name : config_.node_names) HM_ASSERT(!name.empty() && name.size() <= kMaxNodeNameBytes);
  HM_ASSERT(config_.node_names[0] != config_.node_names[1]);
  HM_ASSERT(!config_.state_path.empty());
  HM_ASSERT(listener_.on_grant && listener_.on_problem);
}

WitnessServer::~WitnessServer() = default;

io::Error WitnessServer::start() {
  HM_ASSERT(phase_ == Phase::idle);
  auto endpoint = io_.network.open_datagram(config_.local, [this](const io::Address& from, io::ByteView datagram) {
    receive(from, datagram);
  });
  if (!endpoint) return endpoint.error();
  endpoint_ = std::move(endpoint).value();
  // The restart wait counts from here: every term granted before this instant, by a
  // previous run, has ended (plus grace) once the wait is over.
  started_ns_ = io_.clock.now_ns();
  phase_ = Phase::loading;
  load_state();
  return io::Error::ok;
}

std::int64_t WitnessServer::free_at_ns() const {
  const std::int64_t after_start_ns = started_ns_ + kTermNs + kGraceNs;
  return holder_.empty() ? after_start_ns : std::max(after_start_ns, term_end_ns_ + kGraceNs);
}

void WitnessServer::load_state() {
  io::read_whole_file(io_.fs, config_.state_path, kMaxWitnessStateBytes,
                      [alive = std::weak_ptr<bool>(alive_), this](io::Result<io::Bytes> contents) {
                        if (alive.expired()) return;
                        on_state_loaded(std::move(contents));
                      });
}

void WitnessServer::on_state_loaded(io::Result<io::Bytes> contents) {
  HM_ASSERT(phase_ == Phase::loading);
  if (!contents && contents.error() == io::Error::not_found) {
    // The first start (a durable file never vanishes on its own: an operator who
    // deletes it makes epochs start over).
    phase_ = Phase::serving;
    return;
  }
  if (!contents) {
    phase_ = Phase::failed;
    listener_.on_problem("cannot read the epoch file " + config_.state_path + " (" +
                         std::string(io::error_name(contents.error())) + "): granting no lease");
    return;
  }
  const auto state = decode_witness_state(io::as_text(*contents));
  if (!state) {
    phase_ = Phase::failed;
    listener_.on_problem("the epoch file " + config_.state_path + " is not a witness state file: granting no lease");
    return;
  }
  epoch_ = state->epoch;
  highest_epoch_used_ = state->epoch;
  data_generation_ = state->data_generation;
  phase_ = Phase::serving;
}

bool WitnessServer::configured(const std::string& node) const {
  return node == config_.node_names[0] || node == config_.node_names[1];
}

void WitnessServer::receive(const io::Address& from, io::ByteView datagram) {
  const auto request = decode_datagram<LeaseRequest>(datagram);
  if (!request) {
    // Noise: answering it would only help a prober. A node of another version is said.
    const std::string sender = from.host + " port " + std::to_string(from.port);
    if (auto report = version_report_.consider(request.error(), sender, io_.clock.now_ns())) listener_.on_problem(*report);
    return;
  }
  if (!configured(request.value().node_name)) {
    listener_.on_problem("lease request from " + from.host + " port " + std::to_string(from.port) + " for unknown node '" +
                         request.value().node_name + "'");
    return;
  }
  answer(from, request.value());
}

void WitnessServer::answer(const io::Address& from, const LeaseRequest& request) {
  const std::int64_t now_ns = io_.clock.now_ns();
  if (phase_ != Phase::serving) {
    const std::int64_t wait_ns = phase_ == Phase::failed ? kTermNs + kGraceNs : free_at_ns() - now_ns;
    return reply(from, request, LeaseAnswer::starting, epoch_, "", wait_ns);
  }
  if (pending_) {
    // Its grant is on its way to the disk; the first request will be answered.
    if (pending_->request.node_name == request.node_name) return;
    return reply(from, request, LeaseAnswer::held_by_other, pending_->epoch, pending_->request.node_name,
                 kTermNs + kGraceNs);
  }
  if (request.node_name == holder_) {
    if (const std::uint64_t recorded = recorded_generation(request); recorded != data_generation_) {
      // The holder is about to acknowledge alone on another generation: recorded first.
      return begin_recording(PendingGrant{from, request, epoch_, recorded, "", true});
    }
    // Renewal. The term counts from now, which is after the request was sent: the
    // client counts from the send, so its view always ends first (lease_timing.h).
    HM_ASSERT(now_ns + kTermNs >= term_end_ns_);
    term_end_ns_ = now_ns + kTermNs;
    return reply(from, request, LeaseAnswer::granted, epoch_, holder_, 0);
  }
  const std::int64_t free_at = free_at_ns();
  if (now_ns < free_at) {
    return reply(from, request, holder_.empty() ? LeaseAnswer::starting : LeaseAnswer::held_by_other, epoch_, holder_,
                 free_at - now_ns);
  }
  if (!data_is_current(request)) {
    return reply(from, request, LeaseAnswer::stale_data, epoch_, holder_, 0);
  }
  std::string reason = holder_.empty() ? (epoch_ == 0 ? "first grant" : "no holder since the witness started")
                                       : holder_ + "'s term ended " + std::to_string(ceil_ms(now_ns - term_end_ns_)) +
                                             " ms ago";
  begin_grant(from, request, std::move(reason));
}

void WitnessServer::begin_grant(const io::Address& from, const LeaseRequest& request, std::string reason) {
  HM_ASSERT(!pending_ && phase_ == Phase::serving);
  HM_ASSERT(request.node_name != holder_);
  // Above every epoch ever handed to the disk, even one whose write failed.
  const std::uint64_t epoch = std::max(epoch_, highest_epoch_used_) + 1;
  highest_epoch_used_ = epoch;
  if (request.force) reason += " (primforce: whatever its data)";
  begin_recording(PendingGrant{from, request, epoch, recorded_generation(request), std::move(reason), false});
}

// Why the record may stay behind the holder's data, and never must run ahead of what
// was acknowledged alone. The record exists so that a stale copy never takes the lease
// after the holder acknowledged writes the other copy does not have. Writes
// acknowledged with a synchronised secondary are on both copies; only writes
// acknowledged alone need the record, and a holder acknowledges alone only once the
// witness recorded that very generation (LeaseClient::may_acknowledge_alone asks for
// it with `acknowledges_alone`; the node's alone gate waits for the answer). So every
// write acknowledged alone, ever, was in a generation recorded here before it was
// acknowledged. A record is replaced only by the holder's generation when it asks, and
// the holder was granted the lease only on data whose lineage holds the record then
// (data_is_current), or is the same holder moving on from it (a new generation
// descends from the one it left): each record descends from the one before. A node
// granted the lease therefore holds the lineage of every generation anyone
// acknowledged alone in, and so the writes acknowledged there.
// A grant that records nothing changes none of this: the new holder acknowledged
// nothing alone, so the old record still names the newest data anyone did (property
// counterexample 622878: node2, granted the lease and giving it back unused when it
// met node1 and became its reintegration target, had its generation recorded, and
// node1, the only copy with the data, was refused the lease for good).
// primforce records at the grant: the admin chose this copy, with whatever the other
// acknowledged alone (the explicit loss), and the forced node must not be refused the
// lease later for the data it was forced over.
std::uint64_t WitnessServer::recorded_generation(const LeaseRequest& request) const {
  return request.acknowledges_alone || request.force ? request.data_generation : data_generation_;
}

bool WitnessServer::data_is_current(const LeaseRequest& request) const {
  if (request.force || data_generation_ == 0) return true;
  if (request.data_generation == data_generation_) return true;
  // The admin chose the requester's side over the recorded one (seed 55793's prim).
  if (std::find(request.data_discarded.begin(), request.data_discarded.end(), data_generation_) !=
      request.data_discarded.end()) {
    return true;
  }
  return std::find(request.data_history.begin(), request.data_history.end(), data_generation_) !=
         request.data_history.end();
}

void WitnessServer::begin_recording(PendingGrant grant) {
  HM_ASSERT(!pending_ && phase_ == Phase::serving);
  pending_ = std::move(grant);
  const std::string contents = encode_witness_state({pending_->epoch, pending_->data_generation});
  io::write_file_atomically(io_.fs, config_.state_path, io::as_bytes(contents),
                            [alive = std::weak_ptr<bool>(alive_), this](io::Error e) {
                              if (alive.expired()) return;
                              finish_grant(e);
                            });
}

void WitnessServer::finish_grant(io::Error persisted) {
  HM_ASSERT(pending_);
  PendingGrant grant = std::move(*pending_);
  pending_.reset();
  if (persisted != io::Error::ok) {
    listener_.on_problem("cannot record epoch " + std::to_string(grant.epoch) + " in " + config_.state_path + " (" +
                         std::string(io::error_name(persisted)) + "): lease not " +
                         (grant.renewal ? "renewed for " : "granted to ") + grant.request.node_name);
    return;
  }
  data_generation_ = grant.data_generation;
  if (grant.renewal) {
    // Still the holder's term (a renewal is only ever recorded for the holder).
    HM_ASSERT(grant.request.node_name == holder_ && grant.epoch == epoch_);
    term_end_ns_ = std::max(term_end_ns_, io_.clock.now_ns() + kTermNs);
    return reply(grant.reply_to, grant.request, LeaseAnswer::granted, epoch_, holder_, 0);
  }
  HM_ASSERT(grant.epoch > epoch_);
  epoch_ = grant.epoch;
  holder_ = grant.request.node_name;
  // From now, not from the request's arrival: later is the safe side for the witness.
  term_end_ns_ = io_.clock.now_ns() + kTermNs;
  reply(grant.reply_to, grant.request, LeaseAnswer::granted, epoch_, holder_, 0);
  listener_.on_grant(holder_, epoch_, grant.reason);
}

void WitnessServer::reply(const io::Address& to, const LeaseRequest& request, LeaseAnswer answer, std::uint64_t epoch,
                          const std::string& holder, std::int64_t free_in_ns) {
  const LeaseReply message{.client_nonce = request.client_nonce,
                           .request_id = request.request_id,
                           .answer = answer,
                           .epoch = epoch,
                           .holder = holder,
                           .term_ms = static_cast<std::uint64_t>(kLeaseTermMs),
                           .free_in_ms = ceil_ms(free_in_ns),
                           .data_generation = data_generation_};
  HM_ASSERT(message.check().empty());
  // A send error changes nothing: the client asks again at its next interval.
  (void)endpoint_->send_to(to, encode_datagram(message));
}

}  // namespace hamirror::core::witness
