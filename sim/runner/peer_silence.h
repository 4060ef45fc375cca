// What one node heard of its peer's heartbeats, as the network delivered them: how
// long it has gone without one. Only time the node ran counts (crashed or stopped, it
// hears nothing and decides nothing). A frozen node's silence goes on, unless a
// heartbeat reaches its buffer meanwhile: it reads that when it thaws, so only the
// silence it lived before the freeze counts (seed 635: a node thawing with nothing
// held sees the whole freeze as silence, as the core does).
//
// The fault runner judges from it whether a node that began serving without its peer's
// writes had any reason to believe its peer gone (run_checks.cpp).
#pragma once

#include <cstdint>

namespace hamirror::sim::runner {

class PeerSilence {
 public:
  // A silence of at least `long_ns` is one a node may take for its peer being gone.
  explicit PeerSilence(std::int64_t long_ns) : long_ns_(long_ns) {}

  void heard(std::int64_t now_ns);
  void froze(std::int64_t now_ns);
  void thawed(std::int64_t now_ns);
  void went_down(std::int64_t now_ns);  // crashed or stopped
  void came_up(std::int64_t now_ns);

  std::int64_t current_ns(std::int64_t now_ns) const;
  // When the last silence of at least long_ns ended (now, if the current one is that
  // long already); -1 if there was none.
  std::int64_t last_long_silence_end_ns(std::int64_t now_ns) const;

 private:
  void end(std::int64_t now_ns, std::int64_t length_ns);

  std::int64_t long_ns_;
  std::int64_t since_ns_ = 0;          // the last heartbeat read (or the start)
  std::int64_t paused_ns_ = 0;         // time down within the current silence
  std::int64_t down_since_ns_ = -1;
  std::int64_t frozen_since_ns_ = -1;
  bool heard_while_frozen_ = false;
  std::int64_t long_end_ns_ = -1;
};

}  // namespace hamirror::sim::runner
