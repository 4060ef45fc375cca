#include "core/witness/lease_client.h"

#include <algorithm>
#include <utility>

#include "core/canary.h"
#include "io/assert.h"

namespace hamirror::core::witness {
namespace {

constexpr std::int64_t kRenewIntervalNs = kRenewIntervalMs * io::kNsPerMs;
constexpr std::int64_t kClockDriftMarginNs = kClockDriftMarginMs * io::kNsPerMs;

std::string ms_text(std::int64_t ns) { return std::to_string(ns / io::kNsPerMs) + " ms"; }

}  // namespace

LeaseClient::LeaseClient(io::Io& io, LeaseClientConfig config, Listener listener)
    : io_(io), config_(std::move(config)), listener_(std::move(listener)), nonce_(io.random.next_u64()) {
  HM_ASSERT(!config_.node_name.empty() && config_.node_name.size() <= kMaxNodeNameBytes);
  HM_ASSERT(listener_.on_acquired && listener_.on_lost);
}

LeaseClient::~LeaseClient() = default;

io::Error LeaseClient::start() {
  HM_ASSERT(!endpoint_);
  auto endpoint = io_.network.open_datagram(config_.local, [this](const io::Address&, io::ByteView datagram) {
    receive(datagram);
  });
  if (!endpoint) return endpoint.error();
  endpoint_ = std::move(endpoint).value();
  renew_timer_ = io_.clock.make_timer();
  expiry_timer_ = io_.clock.make_timer();
  return io::Error::ok;
}

bool LeaseClient::holds_lease() const {
  if (canary_planted(ProtocolCanary::ignore_witness)) return true;  // CANARY: as if the witness always granted it
  return held_ && io_.clock.now_ns() < lease_end_ns_;
}

void LeaseClient::want_lease(bool wanted) {
  HM_ASSERT(endpoint_);
  if (wanted == wanted_) return;
  wanted_ = wanted;
  if (wanted_) {
    send_request();
    renew_timer_->start(kRenewIntervalNs, kRenewIntervalNs, [this] { tick(); });
    return;
  }
  renew_timer_->stop();
  alone_generation_ = 0;  // the next holding asks anew, if it acknowledges alone at all
  // Answers to what was asked before giving up are old news if the lease is wanted
  // again: only requests sent after that may count.
  newest_answered_ = next_request_id_ - 1;
  expire_if_due();
  if (held_) lose("the node gave the lease up");
}

bool LeaseClient::may_acknowledge_alone(std::uint64_t generation) {
  if (holds_lease_for(generation)) return true;
  // Only a holder asks: a node that waits for the lease has nothing to acknowledge
  // yet, and a grant it then gives back unused must not move the record.
  if (holds_lease() && wanted_ && alone_generation_ != generation) {
    alone_generation_ = generation;
    send_request();
  }
  return false;
}

void LeaseClient::set_data(Data data) {
  HM_ASSERT(data.history.size() <= kMaxLeaseHistory);
  HM_ASSERT(data.discarded.size() <= kMaxLeaseDiscarded);
  if (data == data_) return;
  data_ = std::move(data);
  if (wanted_) send_request();
}

void LeaseClient::tick() {
  HM_ASSERT(wanted_);
  expire_if_due();
  if (wanted_) send_request();  // on_lost may have given the lease up
}

void LeaseClient::send_request() {
  const std::uint64_t request_id = next_request_id_++;
  // The clock is read BEFORE the request leaves: a grant counts from here (rule C
  // in lease_timing.h), so no delay on the way can stretch the lease.
  const std::int64_t sent_ns = io_.clock.now_ns();
  sent_[request_id % kMaxTrackedRequests] = {request_id, sent_ns};
  const LeaseRequest request{.node_name = config_.node_name,
                             .client_nonce = nonce_,
                             .request_id = request_id,
                             .data_generation = data_.generation,
                             .data_history = data_.history,
                             .force = data_.force,
                             .acknowledges_alone = alone_generation_ != 0 && alone_generation_ == data_.generation,
                             .data_discarded = data_.discarded};
  // A send error is like a lost datagram: the next interval asks again.
  (void)endpoint_->send_to(config_.witness, encode_datagram(request));
}

void LeaseClient::receive(io::ByteView datagram) {
  // A lapse is reported before anything this datagram says (a process resuming from
  // a freeze may find stale grants waiting in its socket).
  expire_if_due();
  const auto decoded = decode_datagram<LeaseReply>(datagram);
  if (!decoded && listener_.on_problem) {
    const std::string sender = "the witness " + config_.witness.host + " port " + std::to_string(config_.witness.port);
    if (auto report = version_report_.consider(decoded.error(), sender, io_.clock.now_ns())) listener_.on_problem(*report);
  }
  if (!decoded || decoded.value().client_nonce != nonce_) return;  // noise, or meant for an earlier run
  const LeaseReply& reply = decoded.value();
  const Sent& sent = sent_[reply.request_id % kMaxTrackedRequests];
  if (sent.request_id != reply.request_id) return;  // never sent, or too old to matter
  // Older news than an answer already acted on (duplicates and reordering).
  if (!wanted_ || reply.request_id <= newest_answered_) return;
  newest_answered_ = reply.request_id;
  if (reply.answer == LeaseAnswer::granted) {
    on_granted(reply, sent.sent_ns);
  } else {
    on_refused(reply);
  }
}

void LeaseClient::on_granted(const LeaseReply& reply, std::int64_t sent_ns) {
  // The shorter of the two terms: a witness configured with a shorter term than this
  // node's waits less before granting again.
  const auto term_ms = static_cast<std::int64_t>(std::min<std::uint64_t>(reply.term_ms, kLeaseTermMs));
  const std::int64_t end_ns = sent_ns + term_ms * io::kNsPerMs - kClockDriftMarginNs;
  const std::int64_t now_ns = io_.clock.now_ns();
  if (end_ns <= now_ns) return;  // arrived too late to be of any use
  const bool recorded_anew = held_ && granted_generation_ != reply.data_generation;
  granted_generation_ = reply.data_generation;
  last_stale_.clear();
  if (held_ && reply.epoch != epoch_) {
    // Not expected (a new epoch is granted only after this node's lease ended), but
    // if the witness lost its state the node must fence itself anew.
    lose("the witness granted epoch " + std::to_string(reply.epoch) + " while this node held epoch " +
         std::to_string(epoch_));
    if (!wanted_) return;
  }
  if (held_) {
    if (end_ns > lease_end_ns_) {
      lease_end_ns_ = end_ns;
      last_grant_sent_ns_ = sent_ns;
      arm_expiry_timer();
    }
    if (recorded_anew && listener_.on_recorded) listener_.on_recorded(granted_generation_);
    return;
  }
  held_ = true;
  epoch_ = reply.epoch;
  lease_end_ns_ = end_ns;
  last_grant_sent_ns_ = sent_ns;
  arm_expiry_timer();
  listener_.on_acquired(epoch_, "the witness granted epoch " + std::to_string(epoch_) + " (request sent " +
                                    ms_text(now_ns - sent_ns) + " ago; lease ends in " + ms_text(end_ns - now_ns) + ")");
}

void LeaseClient::on_refused(const LeaseReply& reply) {
  HM_ASSERT(reply.answer != LeaseAnswer::granted);
  if (reply.answer == LeaseAnswer::stale_data && listener_.on_stale) {
    // No holder: the witness restarted with a record and has granted nothing since.
    const std::string who = reply.holder.empty() ? "the last holder on the witness's record" : reply.holder;
    std::string why = who + " acknowledged writes on newer data (generation " +
                      std::to_string(reply.data_generation) + ") than this node's: only primforce takes the lease";
    if (why != last_stale_) {
      last_stale_ = why;
      listener_.on_stale(why);
    }
  }
  if (!held_) return;
  if (reply.answer == LeaseAnswer::held_by_other || reply.answer == LeaseAnswer::stale_data) {
    lose("the witness says " + reply.holder + " holds the lease (epoch " + std::to_string(reply.epoch) + ")");
  } else {
    lose("the witness restarted and grants no lease for another " + std::to_string(reply.free_in_ms) + " ms");
  }
}

void LeaseClient::expire_if_due() {
  if (!held_) return;
  const std::int64_t now_ns = io_.clock.now_ns();
  if (now_ns < lease_end_ns_) return;
  lose("the lease ran out: the last grant was for a request sent " + ms_text(now_ns - last_grant_sent_ns_) +
       " ago, and none since came back");
}

void LeaseClient::on_expiry_timer() {
  expire_if_due();
  // A timer on a coarser clock may fire a little early: wait for the rest.
  if (held_) arm_expiry_timer();
}

void LeaseClient::arm_expiry_timer() {
  HM_ASSERT(held_);
  const std::int64_t delay_ns = std::max<std::int64_t>(0, lease_end_ns_ - io_.clock.now_ns());
  expiry_timer_->start(delay_ns, 0, [this] { on_expiry_timer(); });
}

void LeaseClient::lose(const std::string& reason) {
  HM_ASSERT(held_);
  held_ = false;
  epoch_ = 0;
  // Only a holder asks: once granted again, the alone gate asks anew if it must.
  alone_generation_ = 0;
  expiry_timer_->stop();
  listener_.on_lost(reason);
}

}  // namespace hamirror::core::witness
