// Test fixture: a two-node SimCluster where each node keeps every part of its io::Io
// busy — a repeating timer that sends a datagram and a stream write to the peer each
// pulse, disk writes with fsyncs, program runs, a service, the VIP. Each node logs
// every callback it receives (with the time), so a test can see what a node did and
// when; the trace hash fingerprints the whole run.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/assert.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::sim::testing {

constexpr std::int64_t kBusyPulseNs = 37 * io::kNsPerMs;
constexpr std::uint16_t kBusyPort = 7000;

// One node's activity: started by start(), it runs until destroyed.
class BusyNode {
 public:
  BusyNode(SimNode& node, std::string peer) : node_(node), io_(node.io()), peer_(std::move(peer)) {}

  void start() {
    auto endpoint = io_.network.open_datagram({node_.name() + ".hb", kBusyPort}, [this](const io::Address&, io::ByteView payload) {
      log("dgram " + std::string(io::as_text(payload)));
    });
    HM_ASSERT(endpoint.ok());
    endpoint_ = std::move(endpoint).value();
    auto listener = io_.network.listen({node_.name() + ".repl", kBusyPort}, [this](auto connection) {
      log("accept");
      adopt(std::move(connection), accepted_);
    });
    HM_ASSERT(listener.ok());
    listener_ = std::move(listener).value();
    node_.processes().script("check", ScriptedRun{0, 3 * io::kNsPerMs, "ok"});
    node_.services().add_service("app", SimServiceConfig{5 * io::kNsPerMs, 4 * io::kNsPerMs});
    io_.fs.open("/log", io::OpenFlags{true, true, true, false, false}, [this](io::Result<io::FileHandle> file) {
      HM_ASSERT(file.ok());
      file_ = file.value();
      log("open");
    });
    timer_ = io_.clock.make_timer();
    timer_->start(kBusyPulseNs, kBusyPulseNs, [this] { pulse(); });
  }

  // What the node saw, one line per callback: "<time ns> <what>".
  const std::vector<std::string>& log() const { return log_; }
  std::int64_t pulses() const { return pulses_; }

 private:
  void log(const std::string& what) { log_.push_back(std::to_string(io_.clock.now_ns()) + " " + what); }

  void adopt(std::unique_ptr<io::StreamConnection> connection, std::unique_ptr<io::StreamConnection>& slot) {
    slot = std::move(connection);
    slot->set_handlers([this](io::ByteView chunk) { log("data " + std::string(io::as_text(chunk))); },
                       [this](io::Error reason) { log(std::string("close ") + std::string(io::error_name(reason))); });
  }

  void pulse() {
    ++pulses_;
    const std::string n = std::to_string(pulses_);
    log("pulse " + n);
    HM_ASSERT(endpoint_->send_to({peer_ + ".hb", kBusyPort}, io::as_bytes(node_.name() + "#" + n)) == io::Error::ok);
    if (pulses_ == 1) {
      io_.network.connect({peer_ + ".repl", kBusyPort}, [this](auto result) {
        HM_ASSERT(result.ok());
        log("connected");
        adopt(std::move(result).value(), connected_);
      });
    }
    if (connected_) {
      HM_ASSERT(connected_->write(io::as_bytes("<" + n + ">"), [this, n](io::Error r) {
        log("wrote " + n + " " + std::string(io::error_name(r)));
      }) == io::Error::ok);
    }
    if (file_) {
      io_.fs.write(*file_, 0, io::as_bytes(n), [this, n](io::Result<std::uint64_t> r) {
        log("disk write " + n + (r.ok() ? " ok" : " failed"));
      });
      if (pulses_ % 3 == 0) io_.fs.fsync(*file_, [this, n](io::Error r) { log("fsync " + n + " " + std::string(io::error_name(r))); });
    }
    if (pulses_ % 5 == 0) {
      io_.processes.run(io::ProcessSpec{"check", {n}, {}, {}, 1000}, [this, n](io::Result<io::ProcessResult> r) {
        log("ran " + n + " " + (r.ok() ? std::to_string(r.value().exit_code) : "error"));
      });
    }
    if (pulses_ % 7 == 0) {
      const bool start = (pulses_ / 7) % 2 == 1;
      auto done = [this, n](io::Error r) { log("service " + n + " " + std::string(io::error_name(r))); };
      if (start) {
        io_.services.start("app", 1000, done);
      } else {
        io_.services.stop("app", 1000, done);
      }
      const io::VipSpec vip{"10.9.9.9", 24, ""};
      auto vip_done = [this, n](io::Error r) { log("vip " + n + " " + std::string(io::error_name(r))); };
      if (start) {
        io_.vip.add(vip, vip_done);
      } else {
        io_.vip.remove(vip, vip_done);
      }
      io_.vip.check(vip, [this, n](io::Result<bool> held) { log("vip check " + n + " " + (held.ok() && held.value() ? "held" : "not held")); });
    }
  }

  SimNode& node_;
  io::Io& io_;
  std::string peer_;
  std::unique_ptr<io::DatagramEndpoint> endpoint_;
  std::unique_ptr<io::StreamListener> listener_;
  std::unique_ptr<io::StreamConnection> accepted_;
  std::unique_ptr<io::StreamConnection> connected_;
  std::optional<io::FileHandle> file_;
  std::unique_ptr<io::Timer> timer_;
  std::int64_t pulses_ = 0;
  std::vector<std::string> log_;
};

// Two busy nodes, "a" and "b", with jittery, lossy links so the network draws
// random numbers too.
struct BusyCluster {
  explicit BusyCluster(std::uint64_t seed) : cluster(seed, options()) {
    for (const char* name : {"a", "b"}) {
      const std::string n = name;
      cluster.add_node(SimNodeSpec{n, {{"hb", n + ".hb"}, {"repl", n + ".repl"}}, 0});
    }
    a = std::make_unique<BusyNode>(cluster.node("a"), "b");
    b = std::make_unique<BusyNode>(cluster.node("b"), "a");
    a->start();
    b->start();
  }
  ~BusyCluster() {
    // The protocol objects go before the cluster they use.
    a.reset();
    b.reset();
  }

  static netsim::Options options() {
    netsim::Options options;
    options.link.latency_min_ns = 200 * io::kNsPerUs;
    options.link.latency_mean_ns = 2 * io::kNsPerMs;
    options.link.jitter_ns = 1 * io::kNsPerMs;
    options.link.loss_probability = 0.05;
    options.link.reorder_probability = 0.1;
    return options;
  }

  SimCluster cluster;
  std::unique_ptr<BusyNode> a;
  std::unique_ptr<BusyNode> b;
};

}  // namespace hamirror::sim::testing
