#include "auth/authenticated_network.h"

#include "auth/auth_context.h"
#include "auth/pending_handshakes.h"
#include "auth/refusal_log.h"
#include "auth/replay_guard.h"
#include "auth/sealed_datagram.h"
#include "io/assert.h"

namespace hamirror::auth {
namespace {

static_assert(kMaxAuthenticatedDatagramBytes + kDatagramOverheadBytes == io::kMaxDatagramBytes);

// Handshakes one listener runs at once (lingering failures included); beyond, new
// connections are dropped, so a connection flood cannot grow memory without bound.
constexpr std::size_t kMaxPendingHandshakes = 256;

class AuthenticatedDatagram final : public io::DatagramEndpoint {
 public:
  AuthenticatedDatagram(std::shared_ptr<AuthContext> context, ReceiveFn on_receive)
      : context_(std::move(context)), on_receive_(std::move(on_receive)), refusals_(*context_) {
    std::array<std::uint8_t, sizeof boot_id_> random{};
    context_->nonces.fill(random);
    for (const auto byte : random) boot_id_ = (boot_id_ << 8) | byte;
  }

  // Separate from the constructor: the inner endpoint's callback needs `this`.
  io::Error open(const io::Address& local) {
    auto opened = context_->inner.open_datagram(
        local, [this](const io::Address& from, io::ByteView datagram) { on_inner_receive(from, datagram); });
    if (!opened.ok()) return opened.error();
    inner_ = std::move(opened).value();
    return io::Error::ok;
  }

  io::Address local_address() const override { return inner_->local_address(); }

  io::Error send_to(const io::Address& to, io::ByteView payload) override {
    if (payload.size() > kMaxAuthenticatedDatagramBytes) return io::Error::message_too_large;
    const DatagramHeader header{.boot_id = boot_id_,
                                .counter = next_counter_,
                                .time_ms = static_cast<std::uint64_t>(context_->clock.wall_ns() / io::kNsPerMs)};
    const io::Error sent = inner_->send_to(to, seal_datagram(context_->key, header, payload));
    if (sent == io::Error::ok) ++next_counter_;
    return sent;
  }

 private:
  void on_inner_receive(const io::Address& from, io::ByteView datagram) {
    const auto opened = open_datagram(context_->key, datagram);
    if (!opened) return refusals_.refused(from, "its authentication tag does not match: wrong cluster key?");
    switch (replay_guard_.check(from, opened->header, context_->clock.now_ns())) {
      case ReplayVerdict::accepted:
        return on_receive_(from, opened->payload);
      case ReplayVerdict::replayed:
        return refusals_.refused(from, "a replayed or out-of-order datagram");
      case ReplayVerdict::stale_boot:
        return refusals_.refused(from, "a datagram from an earlier run of the sender (replayed?)");
    }
  }

  std::shared_ptr<AuthContext> context_;
  ReceiveFn on_receive_;
  RefusalLog refusals_;
  ReplayGuard replay_guard_;
  std::uint64_t boot_id_ = 0;
  std::uint64_t next_counter_ = 0;
  std::unique_ptr<io::DatagramEndpoint> inner_;  // last: destroyed first, so no callback reaches a dead member
};

class AuthenticatedListener final : public io::StreamListener {
 public:
  AuthenticatedListener(std::shared_ptr<AuthContext> context, io::Network::AcceptFn on_accept)
      : context_(std::move(context)), on_accept_(std::move(on_accept)), handshakes_(context_) {}

  io::Error listen(const io::Address& local) {
    auto listening = context_->inner.listen(local, [this](std::unique_ptr<io::StreamConnection> inner) {
      on_inner_accept(std::move(inner));
    });
    if (!listening.ok()) return listening.error();
    inner_ = std::move(listening).value();
    return io::Error::ok;
  }

  io::Address local_address() const override { return inner_->local_address(); }

 private:
  void on_inner_accept(std::unique_ptr<io::StreamConnection> inner) {
    if (handshakes_.size() >= kMaxPendingHandshakes) {
      ++context_->counters.handshakes_failed;
      return;  // dropping `inner` closes it; too many at once to log each
    }
    handshakes_.start(std::move(inner), Role::server, [this](io::Result<std::unique_ptr<io::StreamConnection>> result) {
      if (!result.ok()) return;  // logged by the stream
      auto on_accept = on_accept_;
      on_accept(std::move(result).value());
    });
  }

  std::shared_ptr<AuthContext> context_;
  io::Network::AcceptFn on_accept_;
  PendingHandshakes handshakes_;
  std::unique_ptr<io::StreamListener> inner_;  // last: destroyed first
};

}  // namespace

AuthenticatedNetwork::AuthenticatedNetwork(io::Network& inner, const ClusterKey& key, NonceSource& nonces,
                                           io::Clock& clock, LogFn log, AuthOptions options)
    : context_(std::make_shared<AuthContext>(AuthContext{.inner = inner,
                                                         .key = key,
                                                         .nonces = nonces,
                                                         .clock = clock,
                                                         .log = std::move(log),
                                                         .options = options,
                                                         .counters = {}})),
      connects_(std::make_unique<PendingHandshakes>(context_)) {
  HM_ASSERT(options.handshake_timeout_ns > 0 && options.refusal_log_interval_ns >= 0);
}

AuthenticatedNetwork::~AuthenticatedNetwork() = default;

io::Result<std::unique_ptr<io::DatagramEndpoint>> AuthenticatedNetwork::open_datagram(
    const io::Address& local, io::DatagramEndpoint::ReceiveFn on_receive) {
  HM_ASSERT(on_receive);
  auto endpoint = std::make_unique<AuthenticatedDatagram>(context_, std::move(on_receive));
  if (const io::Error opened = endpoint->open(local); opened != io::Error::ok) return opened;
  return std::unique_ptr<io::DatagramEndpoint>(std::move(endpoint));
}

io::Result<std::unique_ptr<io::StreamListener>> AuthenticatedNetwork::listen(const io::Address& local, AcceptFn on_accept) {
  HM_ASSERT(on_accept);
  auto listener = std::make_unique<AuthenticatedListener>(context_, std::move(on_accept));
  if (const io::Error listening = listener->listen(local); listening != io::Error::ok) return listening;
  return std::unique_ptr<io::StreamListener>(std::move(listener));
}

void AuthenticatedNetwork::connect(const io::Address& remote, ConnectFn on_connected) {
  HM_ASSERT(on_connected);
  context_->inner.connect(remote, [this, alive = std::weak_ptr<const int>(alive_), on_connected = std::move(on_connected)](
                                      io::Result<std::unique_ptr<io::StreamConnection>> inner) mutable {
    if (alive.expired()) return;  // this network is gone: its callbacks must not run
    if (!inner.ok()) return on_connected(inner.error());
    connects_->start(std::move(inner).value(), Role::client, std::move(on_connected));
  });
}

AuthCounters AuthenticatedNetwork::counters() const { return context_->counters; }

}  // namespace hamirror::auth
