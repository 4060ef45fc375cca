// Simulated network throughput: datagrams and stream chunks delivered per second of
// real time, the cost every simulated heartbeat and replication message pays.
#include <benchmark/benchmark.h>

#include "netsim/world.h"
#include "sim/scheduler.h"

namespace hamirror::netsim {
namespace {

void BM_NetsimDatagrams(benchmark::State& state) {
  sim::Trace trace;
  sim::Scheduler scheduler(trace);
  io::Prng prng(1);
  Options options;
  options.link.jitter_ns = 20 * io::kNsPerUs;
  options.link.loss_probability = 0.01;
  World world(scheduler, prng, options);
  world.add_host("a", "lan", "10.0.0.1");
  world.add_host("b", "lan", "10.0.0.2");
  auto net_a = world.make_network("a");
  auto net_b = world.make_network("b");
  std::uint64_t received = 0;
  auto receiver = net_b->open_datagram({"10.0.0.2", 4800}, [&](const io::Address&, io::ByteView) { ++received; });
  auto sender = net_a->open_datagram({"10.0.0.1", 4800}, [](const io::Address&, io::ByteView) {});
  const io::Bytes payload(static_cast<std::size_t>(state.range(0)), 0x5a);
  constexpr int kBatch = 256;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) (void)sender.value()->send_to({"10.0.0.2", 4800}, payload);
    while (scheduler.step()) {
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch * state.range(0));
  state.counters["messages_per_s"] = benchmark::Counter(static_cast<double>(state.iterations() * kBatch), benchmark::Counter::kIsRate);
  benchmark::DoNotOptimize(received);
}
BENCHMARK(BM_NetsimDatagrams)->Arg(64)->Arg(1400);

void BM_NetsimStreamChunks(benchmark::State& state) {
  sim::Trace trace;
  sim::Scheduler scheduler(trace);
  io::Prng prng(1);
  World world(scheduler, prng);
  world.add_host("a", "lan", "10.0.0.1");
  world.add_host("b", "lan", "10.0.0.2");
  auto net_a = world.make_network("a");
  auto net_b = world.make_network("b");
  std::unique_ptr<io::StreamConnection> server_end;
  std::uint64_t received_bytes = 0;
  auto listener = net_b->listen({"10.0.0.2", 7000}, [&](std::unique_ptr<io::StreamConnection> connection) {
    server_end = std::move(connection);
    server_end->set_handlers([&](io::ByteView chunk) { received_bytes += chunk.size(); }, [](io::Error) {});
  });
  std::unique_ptr<io::StreamConnection> client;
  net_a->connect({"10.0.0.2", 7000}, [&](io::Result<std::unique_ptr<io::StreamConnection>> connected) {
    client = std::move(connected).value();
    client->set_handlers([](io::ByteView) {}, [](io::Error) {});
  });
  while (scheduler.step()) {
  }
  const io::Bytes chunk(static_cast<std::size_t>(state.range(0)), 0x5a);
  constexpr int kBatch = 64;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) (void)client->write(chunk, [](io::Error) {});
    while (scheduler.step()) {
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.SetBytesProcessed(state.iterations() * kBatch * state.range(0));
  state.counters["messages_per_s"] = benchmark::Counter(static_cast<double>(state.iterations() * kBatch), benchmark::Counter::kIsRate);
  benchmark::DoNotOptimize(received_bytes);
}
BENCHMARK(BM_NetsimStreamChunks)->Arg(4096)->Arg(65536);

}  // namespace
}  // namespace hamirror::netsim
