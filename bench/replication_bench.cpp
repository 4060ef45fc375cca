// The CPU cost of the replication path: sequencing, encoding, framing, the simulated
// network with zero latency, applying on both copies and acknowledging — ops/s and
// MB/s for 4 KiB, 64 KiB and 1 MiB writes, everything in one thread.
#include <benchmark/benchmark.h>

#include <memory>

#include "core/replication/replica.h"
#include "core/replication/replicator.h"
#include "core/wire/framed_connection.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::core {
namespace {

netsim::Options zero_latency() {
  netsim::Options options;
  options.link.latency_min_ns = 0;
  options.link.latency_mean_ns = 0;
  return options;
}

struct ReplicatedPair {
  sim::SimCluster cluster{1, zero_latency()};
  sim::SimNode& prim = cluster.add_node({.name = "prim", .hosts = {{"flow", "10.0.0.1"}}});
  sim::SimNode& second = cluster.add_node({.name = "second", .hosts = {{"flow", "10.0.0.2"}}});
  std::unique_ptr<Replicator> replicator;
  std::unique_ptr<Replica> replica;
  std::unique_ptr<io::StreamListener> listener;
  std::unique_ptr<wire::FramedConnection> prim_link;
  std::unique_ptr<wire::FramedConnection> second_link;

  ReplicatedPair() {
    prim.disk().install_directory("/data");
    second.disk().install_directory("/data");
    replicator = std::make_unique<Replicator>(prim.io().fs, prim.io().clock, std::vector<std::string>{"/data"},
                                              Replicator::Listener{.on_secondary_failed = [](std::uint64_t, io::Error) {}});
    replica = std::make_unique<Replica>(second.io().fs, second.io().clock, std::vector<std::string>{"/data"}, AsyncMode::none,
                                        Replica::Listener{.on_apply_failed = [](std::uint64_t, io::Error) {}});
    listener = std::move(second.io().network.listen({"10.0.0.2", 5000}, [this](std::unique_ptr<io::StreamConnection> s) {
      second_link = std::make_unique<wire::FramedConnection>(std::move(s), handlers([this](const wire::Frame& f) {
        (void)replica->on_frame(f);
      }, [this] { replica->on_writable(); }));
      replica->attach(*second_link);
    })).value();
    prim.io().network.connect({"10.0.0.2", 5000}, [this](io::Result<std::unique_ptr<io::StreamConnection>> s) {
      prim_link = std::make_unique<wire::FramedConnection>(std::move(s).value(), handlers([this](const wire::Frame& f) {
        (void)replicator->on_frame(f);
      }, [this] { replicator->on_writable(); }));
      replicator->attach(*prim_link);
    });
    while (!(prim_link && second_link) && cluster.scheduler().step()) {
    }
    bool created = false;
    (void)replicator->submit({.kind = OpKind::create, .path = "f"}, [&](io::Error) { created = true; });
    cluster.scheduler().run_until([&] { return created; }, cluster.scheduler().now_ns() + io::kNsPerS);
  }

  static wire::FramedConnection::Handlers handlers(std::function<void(const wire::Frame&)> on_frame, std::function<void()> on_writable) {
    return {.on_frame = std::move(on_frame), .on_error = [](const std::string&) {}, .on_close = [](io::Error) {},
            .on_writable = std::move(on_writable)};
  }
};

void BM_ReplicatedWrites(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  ReplicatedPair pair;
  FileOp op{.kind = OpKind::write, .path = "f"};
  op.data = io::Bytes(size, 0x5a);
  constexpr std::uint64_t kFileSpan = 64 * 1024 * 1024;  // wrap around: the disk is memory
  std::uint64_t offset = 0;
  std::uint64_t completed = 0;
  std::uint64_t submitted = 0;
  constexpr std::uint64_t kInFlight = 32;
  for (auto _ : state) {
    while (submitted - completed < kInFlight) {
      op.offset = offset;
      offset = (offset + size) % kFileSpan;
      if (pair.replicator->submit(FileOp(op), [&](io::Error) { ++completed; }) != io::Error::ok) break;
      ++submitted;
    }
    const std::uint64_t target = completed + 1;
    while (completed < target && pair.cluster.scheduler().step()) {
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}
BENCHMARK(BM_ReplicatedWrites)->Arg(4096)->Arg(64 * 1024)->Arg(1024 * 1024);

}  // namespace
}  // namespace hamirror::core
