// Three simulated machines for the lease tests: node1 and node2 each run a
// LeaseClient, "witness" runs the WitnessServer. Each machine's protocol objects get
// an io::Io whose clock is a NodeClock (its own drift, a freeze switch) and whose
// network holds datagrams while it is frozen; the disk is the node's MemFs, so the
// witness can crash and restart over it.
//
// step_checked() runs the simulation one scheduler event at a time and, after every
// event, checks the safety property: never do both clients hold the lease, and when
// one starts holding, the other's lease ended at least kStepDownMs of real time
// before. Every acquisition and loss is logged with its real time.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/witness/lease_client.h"
#include "core/witness/witness_server.h"
#include "node_time.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::witness_test {

using core::witness::LeaseClient;
using core::witness::WitnessServer;

constexpr std::uint16_t kWitnessPort = 7000;
constexpr std::uint16_t kClientPort = 7001;
constexpr const char* kStateDir = "/var/lib/hamirror";
constexpr const char* kStatePath = "/var/lib/hamirror/witness.state";
constexpr std::int64_t kStepDownNs = core::witness::kStepDownMs * io::kNsPerMs;

struct WorldOptions {
  netsim::Options network;
  std::int64_t node1_drift_ppm = 0;
  std::int64_t node2_drift_ppm = 0;
  std::int64_t witness_drift_ppm = 0;
};

// A machine: the simulated node plus the clock and network its protocol objects see.
struct Machine {
  Machine(sim::SimCluster& cluster, const std::string& name, const std::string& host, std::int64_t drift_ppm)
      : node(cluster.add_node({.name = name, .hosts = {{"lan", host}}})),
        host(host),
        clock(cluster.scheduler(), node.io().clock, drift_ppm),
        network(node.io().network, clock),
        io{clock, node.io().random, network, node.io().fs, node.io().processes, node.io().services, node.io().vip} {}

  sim::SimNode& node;
  std::string host;
  NodeClock clock;
  HeldNetwork network;
  io::Io io;
};

struct LeaseEvent {
  std::int64_t real_ns = 0;
  std::string node;
  bool acquired = false;
  std::uint64_t epoch = 0;
  std::string reason;
};

class LeaseWorld {
 public:
  explicit LeaseWorld(std::uint64_t seed, const WorldOptions& options = {})
      : cluster_(seed, options.network),
        node1_(cluster_, "node1", "10.0.0.1", options.node1_drift_ppm),
        node2_(cluster_, "node2", "10.0.0.2", options.node2_drift_ppm),
        witness_(cluster_, "witness", "10.0.0.3", options.witness_drift_ppm) {
    std::printf("seed %llu (drift ppm: node1 %lld, node2 %lld, witness %lld)\n", static_cast<unsigned long long>(seed),
                static_cast<long long>(options.node1_drift_ppm), static_cast<long long>(options.node2_drift_ppm),
                static_cast<long long>(options.witness_drift_ppm));
    witness_.node.disk().install_directory(kStateDir);
  }

  sim::SimCluster& cluster() { return cluster_; }
  sim::Scheduler& scheduler() { return cluster_.scheduler(); }
  std::int64_t now_ns() const { return const_cast<sim::SimCluster&>(cluster_).scheduler().now_ns(); }
  Machine& machine(const std::string& name) {
    return name == "node1" ? node1_ : name == "node2" ? node2_ : witness_;
  }
  Machine& witness_machine() { return witness_; }
  static std::string other(const std::string& name) { return name == "node1" ? "node2" : "node1"; }

  LeaseClient& client(const std::string& name) { return name == "node1" ? *client1_ : *client2_; }
  WitnessServer& server() { return *server_; }
  const std::vector<LeaseEvent>& events() const { return events_; }
  const std::vector<std::string>& problems() const { return problems_; }
  const std::vector<std::pair<std::string, std::uint64_t>>& grants() const { return grants_; }
  // The smallest real time seen between one client's lease end and the other's start.
  std::optional<std::int64_t> min_handover_gap_ns() const { return min_gap_ns_; }

  // `io` replaces the witness machine's bundle (a test that stacks a fault layer on
  // its disk).
  void start_witness(io::Io* io = nullptr) {
    server_ = std::make_unique<WitnessServer>(
        io != nullptr ? *io : witness_.io,
        core::witness::WitnessConfig{.local = {witness_.host, kWitnessPort},
                                     .node_names = {"node1", "node2"},
                                     .state_path = kStatePath},
        WitnessServer::Listener{.on_grant =
                                    [this](const std::string& holder, std::uint64_t epoch, const std::string&) {
                                      check_grant(holder, epoch);
                                    },
                                .on_problem = [this](const std::string& problem) { problems_.push_back(problem); }});
    ASSERT_EQ(server_->start(), io::Error::ok);
  }

  // The witness process dies (its disk optionally loses power) and starts again.
  void restart_witness(bool power_cut, io::Io* io = nullptr) {
    server_.reset();
    if (power_cut) witness_.node.disk().crash();
    start_witness(io);
  }

  void start_clients() {
    client1_ = make_client(node1_);
    client2_ = make_client(node2_);
  }

  // Runs one event at a time until `until_real_ns` (or `done`), checking safety after
  // each. Returns whether done() held.
  bool step_checked(std::int64_t until_real_ns, const std::function<bool()>& done = nullptr) {
    // A sentinel at the deadline: stepping stops exactly there, not one event later.
    const auto sentinel = scheduler().at(std::max(until_real_ns, now_ns()), [] {});
    while (now_ns() < until_real_ns) {
      if (done && done()) break;
      if (!scheduler().step()) break;
      check_safety();
      if (::testing::Test::HasFatalFailure()) break;
    }
    scheduler().cancel(sentinel);
    return done && done();
  }
  bool run_checked_for_ms(std::int64_t ms, const std::function<bool()>& done = nullptr) {
    return step_checked(now_ns() + ms * io::kNsPerMs, done);
  }

  // Who holds right now ("" for nobody).
  std::string holder() {
    if (client1_ && client1_->holds_lease()) return "node1";
    if (client2_ && client2_->holds_lease()) return "node2";
    return "";
  }

 private:
  struct Watch {
    bool held = false;
    std::optional<std::int64_t> end_real_ns;  // the real time the latest lease ended / ends
  };

  std::unique_ptr<LeaseClient> make_client(Machine& machine) {
    const std::string name = machine.node.name();
    auto client = std::make_unique<LeaseClient>(
        machine.io,
        core::witness::LeaseClientConfig{.node_name = name,
                                         .local = {machine.host, kClientPort},
                                         .witness = {witness_.host, kWitnessPort}},
        LeaseClient::Listener{.on_acquired =
                                  [this, name](std::uint64_t epoch, const std::string& reason) {
                                    events_.push_back({now_ns(), name, true, epoch, reason});
                                  },
                              .on_lost =
                                  [this, name](const std::string& reason) {
                                    events_.push_back({now_ns(), name, false, 0, reason});
                                  }});
    EXPECT_EQ(client->start(), io::Error::ok);
    return client;
  }

  void check_safety() {
    const bool holds1 = client1_ && client1_->holds_lease();
    const bool holds2 = client2_ && client2_->holds_lease();
    ASSERT_FALSE(holds1 && holds2) << "both nodes hold the lease at " << now_ns() << " ns (seed " << cluster_.seed()
                                   << ")";
    watch("node1", holds1);
    watch("node2", holds2);
  }

  void watch(const std::string& name, bool holds) {
    Watch& mine = watches_[name == "node1" ? 0 : 1];
    const Watch& theirs = watches_[name == "node1" ? 1 : 0];
    if (holds && !mine.held && theirs.end_real_ns) {
      // The other's latest lease ended (by its clock, converted to real time) at least
      // the proof's gap before this one started: (T + G) on the witness's clock minus
      // (T − D) on the other's, both as real time (lease_timing.h, step 4). That is
      // more than kStepDownMs, and exact for the clock rates of this run.
      const std::int64_t gap_ns = now_ns() - *theirs.end_real_ns;
      const std::int64_t bound_ns = proven_gap_ns(machine(other(name)));
      min_gap_ns_ = min_gap_ns_ ? std::min(*min_gap_ns_, gap_ns) : gap_ns;
      ASSERT_GT(bound_ns, kStepDownNs);
      ASSERT_GE(gap_ns, bound_ns) << name << " started holding " << gap_ns / io::kNsPerMs << " ms after "
                                  << other(name) << "'s lease ended; the proof promises " << bound_ns / io::kNsPerMs
                                  << " ms (seed " << cluster_.seed() << ")";
    }
    if (holds) mine.end_real_ns = machine(name).clock.to_real(client(name).lease_end_ns());
    mine.held = holds;
  }

  // Step 4 of the proof for this run's clock rates, rounded against the code.
  std::int64_t proven_gap_ns(const Machine& old_holder) const {
    using namespace core::witness;
    const std::int64_t witness_wait_ns = (kLeaseTermMs + kWitnessGraceMs) * io::kNsPerMs;
    const std::int64_t holder_lease_ns = (kLeaseTermMs - kClockDriftMarginMs) * io::kNsPerMs;
    const std::int64_t witness_real_ns = witness_wait_ns * 1'000'000 / (1'000'000 + witness_.clock.drift_ppm());
    const std::int64_t holder_real_ns = (holder_lease_ns * 1'000'000 + 999'999) / (1'000'000 + old_holder.clock.drift_ppm());
    return witness_real_ns - holder_real_ns - 2;  // to_local / to_real round by a nanosecond each
  }

  // Epochs only grow, and a new holder always comes with a new epoch.
  void check_grant(const std::string& holder, std::uint64_t epoch) {
    if (!grants_.empty()) {
      EXPECT_GT(epoch, grants_.back().second) << "epoch reused or reversed (seed " << cluster_.seed() << ")";
    }
    grants_.emplace_back(holder, epoch);
  }

  sim::SimCluster cluster_;
  Machine node1_;
  Machine node2_;
  Machine witness_;
  std::unique_ptr<WitnessServer> server_;
  std::unique_ptr<LeaseClient> client1_;
  std::unique_ptr<LeaseClient> client2_;
  Watch watches_[2];
  std::optional<std::int64_t> min_gap_ns_;
  std::vector<LeaseEvent> events_;
  std::vector<std::string> problems_;
  std::vector<std::pair<std::string, std::uint64_t>> grants_;
};

}  // namespace hamirror::witness_test
