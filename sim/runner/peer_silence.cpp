#include "sim/runner/peer_silence.h"

namespace hamirror::sim::runner {

void PeerSilence::heard(std::int64_t now_ns) {
  if (down_since_ns_ >= 0) return;  // nobody to read it
  if (frozen_since_ns_ >= 0) {
    heard_while_frozen_ = true;
    return;
  }
  end(now_ns, current_ns(now_ns));
}

void PeerSilence::froze(std::int64_t now_ns) {
  frozen_since_ns_ = now_ns;
  heard_while_frozen_ = false;
}

void PeerSilence::thawed(std::int64_t now_ns) {
  if (frozen_since_ns_ < 0) return;
  if (heard_while_frozen_) end(now_ns, frozen_since_ns_ - since_ns_ - paused_ns_);
  frozen_since_ns_ = -1;
  heard_while_frozen_ = false;
}

void PeerSilence::went_down(std::int64_t now_ns) {
  frozen_since_ns_ = -1;  // a frozen node that crashes reads nothing it held
  heard_while_frozen_ = false;
  if (down_since_ns_ < 0) down_since_ns_ = now_ns;
}

void PeerSilence::came_up(std::int64_t now_ns) {
  if (down_since_ns_ < 0) return;
  paused_ns_ += now_ns - down_since_ns_;
  down_since_ns_ = -1;
}

std::int64_t PeerSilence::current_ns(std::int64_t now_ns) const {
  const std::int64_t down_now = down_since_ns_ >= 0 ? now_ns - down_since_ns_ : 0;
  return now_ns - since_ns_ - paused_ns_ - down_now;
}

std::int64_t PeerSilence::last_long_silence_end_ns(std::int64_t now_ns) const {
  return current_ns(now_ns) >= long_ns_ ? now_ns : long_end_ns_;
}

void PeerSilence::end(std::int64_t now_ns, std::int64_t length_ns) {
  if (length_ns >= long_ns_) long_end_ns_ = now_ns;
  since_ns_ = now_ns;
  paused_ns_ = 0;
}

}  // namespace hamirror::sim::runner
