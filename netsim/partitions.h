// The set of cuts currently in force. A cut drops one direction of traffic between two
// nodes, on every network they share (network "") or on one named network only, so a
// heartbeat network can fail while the replication network stays up.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <tuple>

namespace hamirror::netsim {

// A fault runner adds a handful of cuts; thousands means a loop that never heals.
constexpr std::size_t kMaxCuts = 1024;

class Partitions {
 public:
  // Drops traffic from `from` to `to` on `network` ("" = every network).
  void cut(const std::string& from, const std::string& to, const std::string& network);
  // Removes the cuts between a and b, both directions. With network "" every cut
  // between them goes; with a name, only the cuts made for that network.
  void heal(const std::string& a, const std::string& b, const std::string& network);
  void heal_all() { cuts_.clear(); }

  bool blocks(const std::string& from, const std::string& to, const std::string& network) const;
  bool empty() const { return cuts_.empty(); }

 private:
  using Cut = std::tuple<std::string, std::string, std::string>;  // from, to, network
  std::set<Cut> cuts_;
};

}  // namespace hamirror::netsim
