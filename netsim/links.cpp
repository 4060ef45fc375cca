#include "netsim/links.h"

#include <algorithm>

#include "io/assert.h"

namespace hamirror::netsim {

Links::Links(const LinkOptions& default_options) : default_(default_options) { validate(default_); }

void Links::set_default(const LinkOptions& options) {
  validate(options);
  default_ = options;
}

void Links::set_network(const std::string& network, const LinkOptions& options) {
  validate(options);
  HM_ASSERT(!network.empty());
  by_network_[network] = options;
  HM_ASSERT(by_network_.size() <= kMaxLinkSettings);
}

void Links::set_pair(const std::string& from_host, const std::string& to_host, const LinkOptions& options) {
  validate(options);
  HM_ASSERT(!from_host.empty() && !to_host.empty());
  by_pair_[{from_host, to_host}] = options;
  HM_ASSERT(by_pair_.size() <= kMaxLinkSettings);
}

const LinkOptions& Links::options(const std::string& network, const std::string& from_host,
                                  const std::string& to_host) const {
  if (auto pair = by_pair_.find({from_host, to_host}); pair != by_pair_.end()) return pair->second;
  if (auto net = by_network_.find(network); net != by_network_.end()) return net->second;
  return default_;
}

std::int64_t Links::transmit(const std::string& from_host, const std::string& to_host, std::size_t bytes,
                             const LinkOptions& options, std::int64_t now_ns) {
  if (options.bandwidth_bytes_per_s == 0) return now_ns;
  // Bytes are at most kMaxPendingWriteBytes-sized here, so bytes * 1e9 cannot overflow.
  HM_ASSERT(bytes <= (std::uint64_t{1} << 32));
  const auto duration_ns = static_cast<std::int64_t>(
      (static_cast<std::uint64_t>(bytes) * 1'000'000'000ULL + options.bandwidth_bytes_per_s - 1) /
      options.bandwidth_bytes_per_s);
  State& state = state_[{from_host, to_host}];
  const std::int64_t start_ns = std::max(now_ns, state.free_at_ns);
  state.free_at_ns = start_ns + duration_ns;
  return state.free_at_ns;
}

bool Links::enter_flight(const std::string& from_host, const std::string& to_host) {
  State& state = state_[{from_host, to_host}];
  if (state.datagrams_in_flight >= kMaxDatagramsInFlightPerLink) return false;
  ++state.datagrams_in_flight;
  return true;
}

void Links::leave_flight(const std::string& from_host, const std::string& to_host) {
  auto found = state_.find({from_host, to_host});
  HM_ASSERT(found != state_.end() && found->second.datagrams_in_flight > 0);
  --found->second.datagrams_in_flight;
}

std::int64_t draw_latency_ns(const LinkOptions& options, io::Prng& prng) {
  const std::int64_t low = options.latency_min_ns;
  const std::int64_t high = 2 * options.latency_mean_ns - options.latency_min_ns;
  std::int64_t latency_ns = high > low ? prng.between(low, high) : low;
  if (options.jitter_ns > 0) latency_ns += prng.between(-options.jitter_ns, options.jitter_ns);
  latency_ns = std::max(latency_ns, low);
  HM_ASSERT(latency_ns >= 0);
  return latency_ns;
}

}  // namespace hamirror::netsim
