#include "netsim/options.h"

#include "io/assert.h"

namespace hamirror::netsim {
namespace {

bool is_probability(double p) { return p >= 0.0 && p <= 1.0; }

}  // namespace

void validate(const LinkOptions& options) {
  HM_ASSERT(options.latency_min_ns >= 0);
  HM_ASSERT(options.latency_mean_ns >= options.latency_min_ns);
  HM_ASSERT(options.jitter_ns >= 0);
  HM_ASSERT(options.reorder_delay_max_ns >= 0);
  HM_ASSERT(is_probability(options.loss_probability));
  HM_ASSERT(is_probability(options.duplicate_probability));
  HM_ASSERT(is_probability(options.reorder_probability));
}

void validate(const Options& options) {
  validate(options.link);
  HM_ASSERT(options.connect_timeout_ns > 0);
  HM_ASSERT(options.stream_break_timeout_ns > 0);
  HM_ASSERT(options.stream_retransmit_ns >= 0);
  // A window below one chunk would still work, but means a misconfiguration.
  HM_ASSERT(options.stream_window_bytes >= 1024);
}

}  // namespace hamirror::netsim
