// Links: each ordered pair of hosts, with the options that apply to it and the state
// that makes bandwidth and queue limits real (when the link is next free, how many
// datagrams it carries). Options resolve host pair > network > default; see options.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "io/random.h"
#include "netsim/options.h"

namespace hamirror::netsim {

// A router's queue: beyond this many datagrams in flight on one link, more are dropped
// (tail drop) instead of piling up without bound behind a slow link.
constexpr std::size_t kMaxDatagramsInFlightPerLink = 10'000;
// Per-host-pair and per-network settings a test or runner makes; a bound, not a target.
constexpr std::size_t kMaxLinkSettings = 4096;

class Links {
 public:
  explicit Links(const LinkOptions& default_options);

  void set_default(const LinkOptions& options);
  void set_network(const std::string& network, const LinkOptions& options);
  void set_pair(const std::string& from_host, const std::string& to_host, const LinkOptions& options);
  const LinkOptions& options(const std::string& network, const std::string& from_host,
                             const std::string& to_host) const;

  // Puts `bytes` on the link at now_ns (or when it is next free) and returns when the
  // last byte has left. With unlimited bandwidth that is now_ns.
  std::int64_t transmit(const std::string& from_host, const std::string& to_host, std::size_t bytes,
                        const LinkOptions& options, std::int64_t now_ns);

  // Counts a datagram onto / off the link; false when the link's queue is full.
  bool enter_flight(const std::string& from_host, const std::string& to_host);
  void leave_flight(const std::string& from_host, const std::string& to_host);

 private:
  using Pair = std::pair<std::string, std::string>;
  struct State {
    std::int64_t free_at_ns = 0;
    std::size_t datagrams_in_flight = 0;
  };

  LinkOptions default_;
  std::map<std::string, LinkOptions> by_network_;
  std::map<Pair, LinkOptions> by_pair_;
  std::map<Pair, State> state_;
};

// One-way latency for one message on a link with these options (see options.h).
std::int64_t draw_latency_ns(const LinkOptions& options, io::Prng& prng);

}  // namespace hamirror::netsim
