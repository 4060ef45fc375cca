#include "auth/refusal_log.h"

#include <iterator>

#include "auth/replay_guard.h"

namespace hamirror::auth {

bool RefusalLog::make_room(std::int64_t now_ns) {
  for (auto it = senders_.begin(); it != senders_.end();) {
    const bool quiet = now_ns - it->second.last_logged_ns >= context_.options.refusal_log_interval_ns;
    it = quiet && it->second.unlogged == 0 ? senders_.erase(it) : std::next(it);
  }
  return senders_.size() < kMaxTrackedSenders;
}

void RefusalLog::refused(const io::Address& from, const std::string& why) {
  ++context_.counters.datagrams_refused;
  const std::int64_t now_ns = context_.clock.now_ns();
  auto found = senders_.find(from);
  if (found == senders_.end()) {
    if (senders_.size() >= kMaxTrackedSenders && !make_room(now_ns)) return;
    senders_[from] = {.last_logged_ns = now_ns, .unlogged = 0};
    return context_.say("refused a datagram from " + io::to_string(from) + ": " + why);
  }
  Sender& sender = found->second;
  if (now_ns - sender.last_logged_ns < context_.options.refusal_log_interval_ns) {
    ++sender.unlogged;
    return;
  }
  const std::uint64_t before = sender.unlogged;
  sender = {.last_logged_ns = now_ns, .unlogged = 0};
  context_.say("refused a datagram from " + io::to_string(from) + ": " + why +
               (before > 0 ? " (and " + std::to_string(before) + " more from it since the last message)" : ""));
}

}  // namespace hamirror::auth
