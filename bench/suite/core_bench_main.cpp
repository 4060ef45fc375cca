// hm_core_bench: replicated writes through core::Node::submit, the primary in this
// process, the secondary a real hamirrord (tools/bench-suite.sh starts it).
//   throughput: one file of --total-mib written in --block writes, as many in flight as
//     --window-mib allows, then one fsync op; the time from the first write to the fsync's
//     completion (every byte applied, acknowledged and durable on both copies); then the
//     same over the same file again, a rewrite (no create: the blocks stay allocated).
//   latency: --latency-count times a 4 KiB write followed by an fsync op, submitted
//     together; the time from the write's submit to the fsync's completion, one at a time.
// --alone: no secondary (the node goes ALONE): the same figures without replication.
// Prints "figure value" lines for the script.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "bench/suite/primary_node.h"

namespace hamirror::bench {
namespace {

using Clock = std::chrono::steady_clock;

core::FileOp make_op(core::OpKind kind, const std::string& path) {
  core::FileOp op;
  op.kind = kind;
  op.path = path;
  return op;
}

// Submits op and runs the loop until it completed; false on any failure.
bool submit_and_wait(PrimaryNode& primary, core::FileOp op) {
  bool done = false;
  io::Error result = io::Error::ok;
  if (primary.node().submit(std::move(op), [&](io::Error error) { result = error, done = true; }) != io::Error::ok) return false;
  return primary.backend().run_until([&] { return done; }, 60'000) && result == io::Error::ok;
}

class StreamWriter {
 public:
  StreamWriter(PrimaryNode& primary, std::string path, std::size_t block_bytes, std::uint64_t total_bytes,
               std::uint64_t window_bytes)
      : primary_(primary), path_(std::move(path)), block_(block_bytes, 0x5a), total_(total_bytes), window_(window_bytes) {}

  // Seconds from the first write to the fsync's completion; negative on failure. A
  // rewrite writes over the file as it is (no create, which truncates it).
  double run(bool rewrite) {
    if (!rewrite && !submit_and_wait(primary_, make_op(core::OpKind::create, path_))) return -1;
    const auto start = Clock::now();
    pump();
    if (!primary_.backend().run_until([this] { return synced_ || failed_; }, 600'000) || failed_) return -1;
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

 private:
  void pump() {
    while (!failed_ && next_offset_ < total_ && in_flight_bytes_ < window_) {
      core::FileOp op = make_op(core::OpKind::write, path_);
      op.offset = next_offset_;
      op.data = block_;
      const auto status = primary_.node().submit(std::move(op), [this](io::Error error) { on_write_done(error); });
      if (status == io::Error::would_block) return;  // retried at the next completion
      if (status != io::Error::ok) {
        failed_ = true;
        return;
      }
      next_offset_ += block_.size();
      in_flight_bytes_ += block_.size();
    }
    if (next_offset_ >= total_ && !fsync_submitted_) {
      fsync_submitted_ = true;
      if (primary_.node().submit(make_op(core::OpKind::fsync, path_),
                                 [this](io::Error error) { error == io::Error::ok ? void(synced_ = true) : void(failed_ = true); }) !=
          io::Error::ok) {
        failed_ = true;
      }
    }
  }

  void on_write_done(io::Error error) {
    in_flight_bytes_ -= block_.size();
    if (error != io::Error::ok) failed_ = true;
    pump();
  }

  PrimaryNode& primary_;
  std::string path_;
  io::Bytes block_;
  std::uint64_t total_;
  std::uint64_t window_;
  std::uint64_t next_offset_ = 0;
  std::uint64_t in_flight_bytes_ = 0;
  bool fsync_submitted_ = false;
  bool synced_ = false;
  bool failed_ = false;
};

// Microseconds of each 4 KiB write + fsync, one at a time; empty on failure.
std::vector<double> fsynced_write_latencies_us(PrimaryNode& primary, int count) {
  const std::string path = "latency.bin";
  if (!submit_and_wait(primary, make_op(core::OpKind::create, path))) return {};
  std::vector<double> latencies;
  for (int i = 0; i < count; ++i) {
    core::FileOp write = make_op(core::OpKind::write, path);
    write.offset = static_cast<std::uint64_t>(i) * 4096;
    write.data = io::Bytes(4096, static_cast<std::uint8_t>(i));
    bool written = false, synced = false, failed = false;
    const auto start = Clock::now();
    auto note = [&failed](io::Error error) { if (error != io::Error::ok) failed = true; };
    if (primary.node().submit(std::move(write), [&](io::Error e) { note(e), written = true; }) != io::Error::ok ||
        primary.node().submit(make_op(core::OpKind::fsync, path), [&](io::Error e) { note(e), synced = true; }) != io::Error::ok) {
      return {};
    }
    if (!primary.backend().run_until([&] { return written && synced; }, 30'000) || failed) return {};
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::sort(latencies.begin(), latencies.end());
  return latencies;
}

double percentile(const std::vector<double>& sorted, double fraction) {
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(fraction * static_cast<double>(sorted.size())))];
}

int run(int argc, char** argv) {
  CLI::App app{"Replicated write throughput and fsync latency through core::Node::submit"};
  std::string node_file, module_file;
  std::uint64_t total_mib = 256, window_mib = 64;
  int latency_count = 1000;
  app.add_option("--node", node_file, "the in-process primary's TOML file")->required();
  app.add_option("--module", module_file, "the module's userconfig.xml")->required();
  app.add_option("--total-mib", total_mib, "MiB written per throughput figure");
  app.add_option("--window-mib", window_mib, "MiB of writes in flight at most");
  app.add_option("--latency-count", latency_count, "4 KiB fsync'd writes timed");
  bool alone = false;
  app.add_flag("--alone", alone, "no secondary: the node goes ALONE after its start timeout (the write path without replication)");
  CLI11_PARSE(app, argc, argv);

  PrimaryNode primary(node_file, module_file);
  if (!primary.error().empty()) {
    std::fprintf(stderr, "hm_core_bench: %s\n", primary.error().c_str());
    return 2;
  }
  if (!primary.start_and_wait_for(alone ? core::NodeState::alone : core::NodeState::prim, 60'000)) {
    std::fprintf(stderr, "hm_core_bench: the node did not become %s within 60 s (is the secondary hamirrord running? "
                         "see its module.log)\n", alone ? "ALONE" : "PRIM with a synchronised secondary");
    return 1;
  }
  const std::string prefix = alone ? "core_alone" : "core";
  int status = 0;
  for (const std::size_t block : {std::size_t{1} << 20, std::size_t{64} << 10}) {
    const std::string path = "stream-" + std::to_string(block) + ".bin";
    for (const bool rewrite : {false, true}) {
      const double seconds = StreamWriter(primary, path, block, total_mib << 20, window_mib << 20).run(rewrite);
      if (seconds < 0) {
        std::fprintf(stderr, "hm_core_bench: the %zu-byte %s failed\n", block, rewrite ? "rewrites" : "writes");
        status = 1;
        break;
      }
      std::printf("%s_%s_%zuk_MBps %.1f\n", prefix.c_str(), rewrite ? "rewrite" : "write", block >> 10,
                  static_cast<double>(total_mib << 20) / seconds / 1e6);
    }
    if (status != 0) break;
  }
  if (status == 0) {
    const auto latencies = fsynced_write_latencies_us(primary, latency_count);
    if (latencies.empty()) {
      std::fprintf(stderr, "hm_core_bench: the 4 KiB fsync'd writes failed\n");
      status = 1;
    } else {
      std::printf("%s_fsync_4k_p50_us %.0f\n%s_fsync_4k_p99_us %.0f\n", prefix.c_str(), percentile(latencies, 0.5),
                  prefix.c_str(), percentile(latencies, 0.99));
    }
  }
  std::fflush(stdout);
  primary.stop();
  return status;
}

}  // namespace
}  // namespace hamirror::bench

int main(int argc, char** argv) { return hamirror::bench::run(argc, argv); }
