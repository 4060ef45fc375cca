// AuthenticatedNetwork: an io::Network that authenticates everything it carries with
// the cluster key, wrapped around another io::Network (libuv in the daemon, netsim in
// simulated tests). Protocol code receives it in place of the plain network and is
// unchanged; a peer with a wrong or missing key is refused and logged.
//
//   auto nonces = auth::make_os_nonce_source();
//   auth::AuthenticatedNetwork network(backend_io.network, key, *nonces, backend_io.clock,
//                                      [&](const std::string& line) { module_log(line); });
//   io::Io io{..., .network = network, ...};
//
// Streams (replication, witness): a handshake proves on both sides that the peer holds
// the key (handshake.h); then every write travels as authenticated records (record.h)
// that cannot be replayed, reordered or moved to another connection. A listener hands
// a connection to its accept callback, and connect() to its callback, only once the
// handshake succeeded; a failed handshake is logged ("authentication failed from
// 127.0.0.1:5678: ... wrong cluster key?") and connect() then reports permission_denied
// (timed_out after options.handshake_timeout_ns without an answer). A record that
// fails its check closes the stream: on_close gets permission_denied. The io::Network
// contract holds otherwise, with two differences: a write whose records would not fit
// in kMaxPendingWriteBytes is message_too_large, and the backpressure bound counts the
// record overhead (36 bytes per MiB).
//
// Datagrams (heartbeats): each carries a boot id, a counter, a timestamp and a tag
// (sealed_datagram.h); forged and replayed ones are dropped, counted and logged at
// most once per options.refusal_log_interval_ns per sender (replay_guard.h says what
// replays remain possible). Payloads are limited to kMaxAuthenticatedDatagramBytes.
//
// What the key proves is membership of the cluster, not which member: use one
// AuthenticatedNetwork per node (a connection from a node to its own listener through
// it is refused, as the reflection attack it would be), and let the protocol check
// whom it talks to.
//
// Single-threaded like the network it wraps. The inner network, the nonce source and
// the clock must outlive this object and everything it made.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/cluster_key.h"
#include "auth/nonce_source.h"
#include "io/clock.h"
#include "io/network.h"

namespace hamirror::auth {

struct AuthOptions {
  std::int64_t handshake_timeout_ns = 10 * io::kNsPerS;
  std::int64_t refusal_log_interval_ns = 60 * io::kNsPerS;
};

// What was refused since the network was made (for status pages and tests).
struct AuthCounters {
  std::uint64_t handshakes_failed = 0;
  std::uint64_t records_refused = 0;
  std::uint64_t datagrams_refused = 0;
};

using LogFn = std::function<void(const std::string& line)>;

// The datagram payload bound: io::kMaxDatagramBytes less the boot id, counter,
// timestamp and tag.
constexpr std::size_t kMaxAuthenticatedDatagramBytes = io::kMaxDatagramBytes - 56;

struct AuthContext;
class PendingHandshakes;

class AuthenticatedNetwork final : public io::Network {
 public:
  AuthenticatedNetwork(io::Network& inner, const ClusterKey& key, NonceSource& nonces, io::Clock& clock, LogFn log,
                       AuthOptions options = {});
  ~AuthenticatedNetwork() override;

  io::Result<std::unique_ptr<io::DatagramEndpoint>> open_datagram(const io::Address& local,
                                                                  io::DatagramEndpoint::ReceiveFn on_receive) override;
  io::Result<std::unique_ptr<io::StreamListener>> listen(const io::Address& local, AcceptFn on_accept) override;
  void connect(const io::Address& remote, ConnectFn on_connected) override;

  AuthCounters counters() const;

 private:
  std::shared_ptr<AuthContext> context_;
  std::unique_ptr<PendingHandshakes> connects_;
  // Connect callbacks that the inner network still holds check it: expired means this
  // network is gone and they must not run.
  std::shared_ptr<const int> alive_ = std::make_shared<const int>(0);
};

}  // namespace hamirror::auth
