#include "auth/replay_guard.h"

#include <algorithm>

namespace hamirror::auth {

ReplayVerdict ReplayGuard::check(const io::Address& from, const DatagramHeader& header, std::int64_t now_ns) {
  auto found = senders_.find(from);
  if (found == senders_.end()) {
    if (senders_.size() >= kMaxTrackedSenders) evict_one();
    senders_[from] = {header.boot_id, header.counter, header.time_ms, now_ns};
    return ReplayVerdict::accepted;
  }
  Sender& sender = found->second;
  if (header.boot_id == sender.boot_id) {
    if (header.counter <= sender.highest_counter) return ReplayVerdict::replayed;
    sender.highest_counter = header.counter;
  } else {
    if (header.time_ms <= sender.newest_time_ms) return ReplayVerdict::stale_boot;
    sender.boot_id = header.boot_id;
    sender.highest_counter = header.counter;
  }
  sender.newest_time_ms = std::max(sender.newest_time_ms, header.time_ms);
  sender.last_accepted_ns = now_ns;
  return ReplayVerdict::accepted;
}

void ReplayGuard::evict_one() {
  const auto oldest = std::min_element(senders_.begin(), senders_.end(), [](const auto& a, const auto& b) {
    return a.second.last_accepted_ns < b.second.last_accepted_ns;
  });
  if (oldest != senders_.end()) senders_.erase(oldest);
}

}  // namespace hamirror::auth
