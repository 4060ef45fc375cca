#include "netsim/fabric.h"

#include <iterator>

#include "io/assert.h"
#include "netsim/stream_pair.h"

namespace hamirror::netsim {

Fabric::Fabric(sim::Scheduler& scheduler, io::Prng& prng, const Options& options)
    : scheduler_(scheduler), prng_(prng.fork()), options_(options), links_(options.link) {
  validate(options_);
}

void Fabric::add_host(const std::string& node, const std::string& network, const std::string& host) {
  HM_ASSERT(!node.empty() && !network.empty() && !host.empty());
  const bool added = hosts_.emplace(host, HostInfo{node, network}).second;
  HM_ASSERT(added);  // a host string names one interface of one node
  HM_ASSERT(hosts_.size() <= kMaxHosts);
  nodes_.insert(node);
}

const HostInfo* Fabric::host(const std::string& host) const {
  auto found = hosts_.find(host);
  return found == hosts_.end() ? nullptr : &found->second;
}

const std::string* Fabric::host_of(const std::string& node, const std::string& network) const {
  for (const auto& [host, info] : hosts_) {
    if (info.node == node && info.network == network) return &host;
  }
  return nullptr;
}

io::Result<io::Address> Fabric::bind(const std::string& node, Protocol protocol, const io::Address& requested) {
  const HostInfo* info = host(requested.host);
  if (info == nullptr || info->node != node) return io::Error::address_unavailable;
  if (requested.port != 0) {
    if (!bound_.emplace(protocol, requested).second) return io::Error::address_in_use;
    return requested;
  }
  // Ephemeral ports go round the range in order, skipping bound ones, as Linux does
  // roughly; the order only has to be deterministic.
  std::uint16_t& next = next_ephemeral_[{protocol, requested.host}];
  if (next < kFirstEphemeralPort) next = kFirstEphemeralPort;
  constexpr int kRangeSize = kLastEphemeralPort - kFirstEphemeralPort + 1;
  for (int tried = 0; tried < kRangeSize; ++tried) {
    const io::Address candidate{requested.host, next};
    next = next == kLastEphemeralPort ? kFirstEphemeralPort : static_cast<std::uint16_t>(next + 1);
    if (bound_.emplace(protocol, candidate).second) return candidate;
  }
  return io::Error::address_in_use;
}

void Fabric::unbind(Protocol protocol, const io::Address& address) {
  const auto erased = bound_.erase({protocol, address});
  HM_ASSERT(erased == 1);
}

void Fabric::add_endpoint(const io::Address& address, SimDatagramEndpoint* endpoint) {
  HM_ASSERT(endpoint != nullptr);
  const bool added = endpoints_.emplace(address, endpoint).second;
  HM_ASSERT(added);
}

void Fabric::remove_endpoint(const io::Address& address) {
  const auto erased = endpoints_.erase(address);
  HM_ASSERT(erased == 1);
}

SimDatagramEndpoint* Fabric::endpoint_at(const io::Address& address) const {
  auto found = endpoints_.find(address);
  return found == endpoints_.end() ? nullptr : found->second;
}

void Fabric::add_listener(const io::Address& address, SimListener* listener) {
  HM_ASSERT(listener != nullptr);
  const bool added = listeners_.emplace(address, listener).second;
  HM_ASSERT(added);
}

void Fabric::remove_listener(const io::Address& address) {
  const auto erased = listeners_.erase(address);
  HM_ASSERT(erased == 1);
}

SimListener* Fabric::listener_at(const io::Address& address) const {
  auto found = listeners_.find(address);
  return found == listeners_.end() ? nullptr : found->second;
}

void Fabric::add_stream(std::uint64_t id, const std::shared_ptr<StreamPair>& pair) {
  if (streams_.size() >= kMaxStreams) {
    std::erase_if(streams_, [](const auto& entry) {
      auto live = entry.second.lock();
      return !live || live->finished();
    });
  }
  HM_ASSERT(streams_.size() < kMaxStreams);
  const bool added = streams_.emplace(id, pair).second;
  HM_ASSERT(added);
}

void Fabric::partitions_changed() {
  // By id, i.e. in the order the streams were opened: deterministic.
  for (auto it = streams_.begin(); it != streams_.end();) {
    auto pair = it->second.lock();
    if (!pair || pair->finished()) {
      it = streams_.erase(it);
      continue;
    }
    pair->partitions_changed();
    it = std::next(it);
  }
}

void Fabric::record(std::string_view what, io::ByteView payload) {
  scheduler_.trace().record(now_ns(), "net", what, payload);
}

void Fabric::record(std::string_view what, std::span<const io::ByteView> pieces) {
  scheduler_.trace().record(now_ns(), "net", what, pieces);
}

void Fabric::object_closed() {
  HM_ASSERT(live_objects_ > 0);
  --live_objects_;
}

}  // namespace hamirror::netsim
