#include "netsim/partitions.h"

#include <iterator>

#include "io/assert.h"

namespace hamirror::netsim {

void Partitions::cut(const std::string& from, const std::string& to, const std::string& network) {
  HM_ASSERT(!from.empty() && !to.empty());
  HM_ASSERT(from != to);  // a node always reaches itself
  cuts_.emplace(from, to, network);
  HM_ASSERT(cuts_.size() <= kMaxCuts);
}

void Partitions::heal(const std::string& a, const std::string& b, const std::string& network) {
  for (auto it = cuts_.begin(); it != cuts_.end();) {
    const auto& [from, to, cut_network] = *it;
    const bool between = (from == a && to == b) || (from == b && to == a);
    const bool in_scope = network.empty() || cut_network == network;
    it = between && in_scope ? cuts_.erase(it) : std::next(it);
  }
}

bool Partitions::blocks(const std::string& from, const std::string& to, const std::string& network) const {
  if (cuts_.empty() || from == to) return false;
  return cuts_.contains({from, to, ""}) || cuts_.contains({from, to, network});
}

}  // namespace hamirror::netsim
