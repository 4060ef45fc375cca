// Properties of the simulated network, with shrinking: whatever the link does (latency,
// jitter, loss, duplication, reordering) and whatever partitions shorter than the
// break timeout come and go, a stream delivers exactly the bytes written, in order.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "netsim/world.h"
#include "sim/scheduler.h"

namespace hamirror::netsim {
namespace {

struct Cut {
  std::int64_t at_ms;
  std::int64_t length_ms;  // shorter than the break timeout
};

// How rapidcheck prints a shrunk counterexample: one readable line per cut.
void showValue(const Cut& cut, std::ostream& os) {
  os << "partition " << cut.at_ms << " ms after the previous heal, for " << cut.length_ms << " ms";
}

RC_GTEST_PROP(StreamProperty, a_stream_delivers_every_byte_in_order_under_any_link_faults_and_short_partitions,
              (std::uint64_t seed, const std::vector<std::uint16_t>& write_sizes)) {
  const auto loss_percent = *rc::gen::inRange(0, 50);
  const auto jitter_us = *rc::gen::inRange(0, 5000);
  const auto cuts = *rc::gen::container<std::vector<Cut>>(rc::gen::build<Cut>(
      rc::gen::set(&Cut::at_ms, rc::gen::inRange<std::int64_t>(0, 5000)),
      rc::gen::set(&Cut::length_ms, rc::gen::inRange<std::int64_t>(1, 9000))));
  RC_TAG(cuts.size());

  sim::Trace trace;
  sim::Scheduler scheduler(trace);
  io::Prng prng(seed);
  Options options;
  options.link.jitter_ns = jitter_us * io::kNsPerUs;
  options.link.loss_probability = loss_percent / 100.0;
  options.link.duplicate_probability = 0.1;
  options.link.reorder_probability = 0.1;
  World world(scheduler, prng, options);
  world.add_host("a", "lan", "a");
  world.add_host("b", "lan", "b");
  auto net_a = world.make_network("a");
  auto net_b = world.make_network("b");

  std::string received;
  std::vector<io::Error> closes;
  std::unique_ptr<io::StreamConnection> b_end;
  auto listener = net_b->listen({"b", 9000}, [&](std::unique_ptr<io::StreamConnection> accepted) {
    b_end = std::move(accepted);
    b_end->set_handlers([&](io::ByteView chunk) { received += io::as_text(chunk); },
                        [&](io::Error reason) { closes.push_back(reason); });
  });
  RC_ASSERT(listener.ok());
  std::unique_ptr<io::StreamConnection> a_end;
  net_a->connect({"b", 9000}, [&](io::Result<std::unique_ptr<io::StreamConnection>> connected) {
    RC_ASSERT(connected.ok());
    a_end = std::move(connected).value();
    a_end->set_handlers([](io::ByteView) {}, [&](io::Error reason) { closes.push_back(reason); });
  });
  scheduler.run_until([&] { return a_end != nullptr && b_end != nullptr; }, 10 * io::kNsPerS);
  RC_ASSERT(a_end != nullptr);

  // Partitions one after the other, each shorter than the break timeout.
  std::int64_t cursor_ms = 0;
  for (const auto& cut : cuts) {
    const std::int64_t start_ms = cursor_ms + cut.at_ms;
    const std::int64_t end_ms = start_ms + cut.length_ms;
    scheduler.at(scheduler.now_ns() + start_ms * io::kNsPerMs, [&] { world.partition("a", "b"); });
    scheduler.at(scheduler.now_ns() + end_ms * io::kNsPerMs, [&] { world.heal("a", "b"); });
    cursor_ms = end_ms + 1;
  }

  std::string sent;
  for (std::size_t i = 0; i < write_sizes.size(); ++i) {
    const std::string chunk(write_sizes[i] % 4096 + 1, static_cast<char>('a' + i % 26));
    sent += chunk;
    RC_ASSERT(a_end->write(io::as_bytes(chunk), [](io::Error) {}) == io::Error::ok);
  }
  scheduler.run_until([&] { return received.size() >= sent.size(); }, (cursor_ms + 60'000) * io::kNsPerMs);
  RC_ASSERT(closes.empty());
  RC_ASSERT(received == sent);
}

}  // namespace
}  // namespace hamirror::netsim
