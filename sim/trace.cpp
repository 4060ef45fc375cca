#include "sim/trace.h"

#include <xxhash.h>

#include <cstdio>

#include "io/assert.h"

namespace hamirror::sim {

struct Trace::HashState {
  XXH3_state_t xxh3;
};

Trace::Trace() : state_(std::make_unique<HashState>()) {
  HM_ASSERT(XXH3_64bits_reset(&state_->xxh3) == XXH_OK);
}

Trace::~Trace() = default;

void Trace::fold(const void* data, std::size_t size) {
  XXH3_64bits_update(&state_->xxh3, data, size);
}

void Trace::record_event(std::int64_t time_ns) { fold(&time_ns, sizeof time_ns); }

void Trace::record(std::int64_t time_ns, std::string_view who, std::string_view what, io::ByteView detail) {
  // Lengths are folded too, so ("ab","c") and ("a","bc") hash differently.
  const std::uint64_t lengths[3] = {who.size(), what.size(), detail.size()};
  fold(&time_ns, sizeof time_ns);
  fold(lengths, sizeof lengths);
  fold(who.data(), who.size());
  fold(what.data(), what.size());
  if (!detail.empty()) fold(detail.data(), detail.size());

  std::string line = format_time(time_ns) + " " + std::string(who) + ": " + std::string(what);
  if (echo_) std::printf("%s\n", line.c_str());
  recent_.push_back(std::move(line));
  if (recent_.size() > kRecentLines) recent_.pop_front();
}

std::uint64_t Trace::hash() const { return XXH3_64bits_digest(&state_->xxh3); }

std::string format_time(std::int64_t time_ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%lld.%03llds", static_cast<long long>(time_ns / 1'000'000'000),
                static_cast<long long>((time_ns / 1'000'000) % 1000));
  return text;
}

}  // namespace hamirror::sim
