#include "sim/trace.h"

#include <xxhash.h>

#include <cstdio>
#include <cstring>

#include "io/assert.h"

namespace hamirror::sim {

// XXH3's streaming digest does not depend on how the input is split into updates,
// so the small folds of each record (a time, lengths, short names) are gathered here
// and handed over in larger updates: the same hash for less per-call overhead.
struct Trace::HashState {
  XXH3_state_t xxh3;
  static constexpr std::size_t kPendingBytes = 512;
  unsigned char pending[kPendingBytes];
  std::size_t pending_used = 0;

  void flush() {
    if (pending_used == 0) return;
    XXH3_64bits_update(&xxh3, pending, pending_used);
    pending_used = 0;
  }
};

Trace::Trace() : state_(std::make_unique<HashState>()) {
  HM_ASSERT(XXH3_64bits_reset(&state_->xxh3) == XXH_OK);
}

Trace::~Trace() = default;

void Trace::fold(const void* data, std::size_t size) {
  if (size == 0) return;
  HashState& state = *state_;
  if (size > HashState::kPendingBytes - state.pending_used) {
    state.flush();
    if (size >= HashState::kPendingBytes / 2) {  // large: straight in
      XXH3_64bits_update(&state.xxh3, data, size);
      return;
    }
  }
  std::memcpy(state.pending + state.pending_used, data, size);
  state.pending_used += size;
}

void Trace::record_event(std::int64_t time_ns) { fold(&time_ns, sizeof time_ns); }

void Trace::record(std::int64_t time_ns, std::string_view who, std::string_view what, io::ByteView detail) {
  // Lengths are folded too, so ("ab","c") and ("a","bc") hash differently.
  const std::uint64_t lengths[3] = {who.size(), what.size(), detail.size()};
  fold(&time_ns, sizeof time_ns);
  fold(lengths, sizeof lengths);
  fold(who.data(), who.size());
  fold(what.data(), what.size());
  fold_detail(detail);
  keep_line(time_ns, who, what);
}

void Trace::record(std::int64_t time_ns, std::string_view who, std::string_view what, std::span<const io::ByteView> details) {
  const std::uint64_t lengths[3] = {who.size(), what.size(), details.size()};
  fold(&time_ns, sizeof time_ns);
  fold(lengths, sizeof lengths);
  fold(who.data(), who.size());
  fold(what.data(), what.size());
  for (const io::ByteView detail : details) {
    const std::uint64_t length = detail.size();
    fold(&length, sizeof length);
    fold_detail(detail);
  }
  keep_line(time_ns, who, what);
}

void Trace::fold_detail(io::ByteView detail) {
  if (detail.empty()) return;
  const std::uint8_t* start = by_position_.data();
  if (start != nullptr && detail.data() >= start && detail.data() + detail.size() <= start + by_position_.size()) {
    // A tag (the ASCII of "position"), then where the bytes lie; their length was
    // folded before them.
    const std::uint64_t described[2] = {0x706f736974696f6eULL, static_cast<std::uint64_t>(detail.data() - start)};
    fold(described, sizeof described);
    return;
  }
  fold(detail.data(), detail.size());
}

void Trace::keep_line(std::int64_t time_ns, std::string_view who, std::string_view what) {
  if (echo_) std::printf("%s %.*s: %.*s\n", format_time(time_ns).c_str(), static_cast<int>(who.size()), who.data(),
                         static_cast<int>(what.size()), what.data());
  if (recent_.size() < kRecentLines) {
    recent_.push_back(Line{time_ns, std::string(who), std::string(what)});
    return;
  }
  Line& line = recent_[next_];
  line.time_ns = time_ns;
  line.who.assign(who);
  line.what.assign(what);
  next_ = (next_ + 1) % kRecentLines;
}

std::vector<std::string> Trace::recent_lines() const {
  std::vector<std::string> lines;
  lines.reserve(recent_.size());
  for (std::size_t i = 0; i < recent_.size(); ++i) {
    const Line& line = recent_[(next_ + i) % recent_.size()];
    lines.push_back(format_time(line.time_ns) + " " + line.who + ": " + line.what);
  }
  return lines;
}

std::uint64_t Trace::hash() const {
  // What is gathered is folded into a copy: hash() may be asked mid-run.
  XXH3_state_t copy = state_->xxh3;
  XXH3_64bits_update(&copy, state_->pending, state_->pending_used);
  return XXH3_64bits_digest(&copy);
}

std::string format_time(std::int64_t time_ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%03llds", static_cast<long long>(time_ns / 1'000'000'000),
                static_cast<long long>((time_ns / 1'000'000) % 1000));
  return text;
}

}  // namespace hamirror::sim
