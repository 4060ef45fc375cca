// Two real Nodes in the simulator: heartbeats on two networks ("hb" and "flow"), the
// replication link on "flow", MemFs disks that crash like real ones.
#include "core/node/node.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/activity/activity_log.h"
#include "core/witness/witness_server.h"
#include "fsim/faulty_fs.h"
#include "fsim/slow_fs.h"
#include "sim/cluster/sim_cluster.h"
#include "test_file_ops.h"

namespace hamirror::core {
namespace {

constexpr std::int64_t kPulseMs = 100;
constexpr std::int64_t kTimeoutMs = 1000;
constexpr std::uint16_t kHeartbeatPort = 4800;
constexpr std::uint16_t kReplicationPort = 5000;
constexpr const char* kStateDir = "/var/lib/hamirror";
constexpr const char* kVip = "192.168.1.99";
constexpr const char* kWitnessHost = "192.168.1.3";
constexpr std::uint16_t kLeasePort = 4900;

struct Addresses {
  std::string hb;
  std::string flow;
};
const std::map<std::string, Addresses> kAddresses = {{"node1", {"192.168.1.1", "10.1.0.1"}},
                                                     {"node2", {"192.168.1.2", "10.1.0.2"}}};

using test::write_op;

netsim::Options network_options() {
  netsim::Options options;
  options.stream_break_timeout_ns = 2 * io::kNsPerS;
  return options;
}

class TwoNodes {
 public:
  explicit TwoNodes(std::uint64_t seed = 7, netsim::Options options = network_options()) : cluster_(seed, options) {
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    for (const auto& [name, addresses] : kAddresses) {
      auto& node = cluster_.add_node({.name = name, .hosts = {{"hb", addresses.hb}, {"flow", addresses.flow}}});
      node.disk().install_directory("/data");
      node.disk().install_directory(kStateDir);
      script_application(name);
    }
  }

  // The module log on failure, or always with HAMIRROR_TEST_LOG=1.
  ~TwoNodes() {
    if (::testing::Test::HasFailure() || std::getenv("HAMIRROR_TEST_LOG") != nullptr) {
      std::printf("seed %llu: module log\n%s", static_cast<unsigned long long>(cluster_.seed()), dump_log().c_str());
    }
  }

  NodeConfig config_for(const std::string& name) {
    const std::string peer = name == "node1" ? "node2" : "node1";
    const Addresses& mine = kAddresses.at(name);
    const Addresses& theirs = kAddresses.at(peer);
    return NodeConfig{.name = name,
                      .peer = peer,
                      .heartbeat_networks = {{"hb", {mine.hb, kHeartbeatPort}, {theirs.hb, kHeartbeatPort}},
                                             {"flow", {mine.flow, kHeartbeatPort}, {theirs.flow, kHeartbeatPort}}},
                      .pulse_ms = pulse_ms_,
                      .timeout_ms = timeout_ms_,
                      .replication_local = {mine.flow, kReplicationPort},
                      .replication_peer = {theirs.flow, kReplicationPort},
                      .roots = {"/data"},
                      .state_dir = kStateDir,
                      .async_mode = async_mode_,
                      .policy = policy_,
                      .vip = with_application_ ? io::VipSpec{kVip, 24, ""} : io::VipSpec{},
                      .application = with_application_ ? application_config() : ApplicationConfig{},
                      .errd = errd_,
                      .witness = witness_ ? std::optional<NodeWitness>(NodeWitness{{mine.hb, kLeasePort}, {kWitnessHost, kLeasePort}})
                                          : std::nullopt};
  }

  // A witness on a third machine, reachable on the "hb" network. The heartbeat timeout
  // grows past the lease term (10 s), as it must with a witness.
  void add_witness() {
    witness_ = true;
    pulse_ms_ = 500;
    timeout_ms_ = 15000;
    auto& machine = cluster_.add_node({.name = "witness", .hosts = {{"hb", kWitnessHost}}});
    machine.disk().install_directory("/var/lib/witness");
    witness_server_ = std::make_unique<witness::WitnessServer>(
        machine.io(),
        witness::WitnessConfig{{kWitnessHost, kLeasePort}, {"node1", "node2"}, "/var/lib/witness/epoch"},
        witness::WitnessServer::Listener{
            .on_grant = [this](const std::string& holder, std::uint64_t epoch, const std::string& reason) {
              log_.push_back("witness: lease to " + holder + " (epoch " + std::to_string(epoch) + "): " + reason);
            },
            .on_problem = [this](const std::string& problem) { log_.push_back("witness: " + problem); }});
    EXPECT_EQ(witness_server_->start(), io::Error::ok);
    // A witness grants nothing for a term plus grace after it starts.
    cluster_.scheduler().run_for(13 * io::kNsPerS);
  }

  // start_prim starts the application's process ("appd"), stop_prim kills it.
  ApplicationConfig application_config() const {
    return ApplicationConfig{.start_prim = "start_prim", .stop_prim = "stop_prim", .start_timeout_ms = 5000,
                             .nice_stop_timeout_ms = 5000, .force_stop_timeout_ms = 5000};
  }
  void script_application(const std::string& name) {
    auto& processes = cluster_.node(name).processes();
    processes.script("start_prim", [this, name, &processes](const io::ProcessSpec&) {
      ++start_prim_runs_[name];
      processes.start_process("appd");
      return sim::ScriptedRun{.duration_ns = 100 * io::kNsPerMs, .output = "appd started"};
    });
    processes.script("stop_prim", [&processes](const io::ProcessSpec&) {
      processes.kill_by_name("appd");
      return sim::ScriptedRun{.duration_ns = 100 * io::kNsPerMs};
    });
  }
  bool holds_vip(const std::string& name) { return cluster_.vips().held_by(kVip, name); }

  // Both disks hold the record of a cluster that was synchronised before it stopped.
  void install_synchronised_generation(GenerationInfo info = GenerationInfo{.current = 77, .history = {70}}) {
    for (const auto& [name, addresses] : kAddresses) {
      GenerationInfo mine = info;
      mine.last_role = name == "node1" ? LastRole::primary : LastRole::secondary;
      cluster_.node(name).disk().install_file(std::string(kStateDir) + "/generation", wire::encode_body(mine));
    }
  }

  // node1 served last, acknowledged writes alone, and is outdated (its peer was told
  // to go on alone); node2's copy is older, a secondary's.
  void install_newer_outdated_node1_and_older_node2() {
    const GenerationInfo newer{.current = 80, .history = {77, 70}, .outdated = true, .last_role = LastRole::primary,
                               .acknowledged_alone = true};
    const GenerationInfo older{.current = 77, .history = {70}, .last_role = LastRole::secondary};
    cluster_.node("node1").disk().install_file(std::string(kStateDir) + "/generation", wire::encode_body(newer));
    cluster_.node("node2").disk().install_file(std::string(kStateDir) + "/generation", wire::encode_body(older));
  }

  // A disk that fails on demand under `name`'s node (used from its next start).
  fsim::FaultyFs& faulty_disk(const std::string& name) { return layered_disk(name, faulty_); }

  // A disk whose calls take as long as `slow_disk(name).set_options` says, under
  // `name`'s node (used from its next start; not together with faulty_disk).
  fsim::SlowFs& slow_disk(const std::string& name) { return layered_disk(name, slow_); }

  io::Io& io_of(const std::string& name) {
    if (faulty_.contains(name)) return *faulty_.at(name).io;
    if (slow_.contains(name)) return *slow_.at(name).io;
    return cluster_.node(name).io();
  }

  Node& start(const std::string& name) {
    auto node = std::make_unique<Node>(
        io_of(name), config_for(name),
        Node::Listener{.on_state_change = [this, name](NodeState, NodeState to, const std::string&) {
                         transitions_[name].push_back({cluster_.scheduler().now_ns(), to});
                       },
                       .on_log = [this](const std::string& line) {
                         cluster_.trace().record(cluster_.scheduler().now_ns(), "log", line);
                         log_.push_back(line);
                       }});
    Node& started = *node;
    nodes_[name] = std::move(node);
    started.start();
    return started;
  }

  // Power loss: the process is gone at once, unsynced disk data with it.
  void crash(const std::string& name) {
    nodes_.erase(name);
    cluster_.node(name).disk().crash();
    cluster_.vips().release_all(name);
    cluster_.node(name).processes().kill_by_name("appd");
  }

  Node& node(const std::string& name) { return *nodes_.at(name); }
  bool run_until(const std::function<bool()>& done, std::int64_t bound_s = 30) {
    return cluster_.scheduler().run_until(done, cluster_.scheduler().now_ns() + bound_s * io::kNsPerS);
  }
  std::int64_t now_ns() { return cluster_.scheduler().now_ns(); }
  std::string disk_text(const std::string& name, const std::string& path) {
    const auto bytes = cluster_.node(name).disk().contents(path);
    return bytes ? std::string(bytes->begin(), bytes->end()) : "<missing>";
  }
  std::string dump_log() {
    std::string text;
    for (const auto& line : log_) text += line + "\n";
    return text;
  }
  bool logged(const std::string& words) {
    for (const auto& line : log_) if (line.find(words) != std::string::npos) return true;
    return false;
  }
  bool ever_in(const std::string& name, NodeState state) {
    for (const auto& [at, to] : transitions_[name]) if (to == state) return true;
    return false;
  }

  // Two new nodes: each starts its own generation and activity record; the first
  // meeting fully reintegrates one into the other (their data is unrelated), then
  // PRIM/SECOND. Their records are exact from then on.
  void settle_prim_and_second() {
    start("node1");
    start("node2");
    ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); })) << dump_log();
  }
  void make_split_brain_with_witness();
  // Without a witness: a full partition, both ALONE, "left" created on node1 and
  // "right" on node2, then the heal; both wait in the split brain.
  void make_split_brain() {
    settle_prim_and_second();
    cluster_.world().partition("node1", "node2");
    ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone && node("node2").state() == NodeState::alone; }));
    ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "left"}}), 1);
    ASSERT_EQ(write_all("node2", {{.kind = OpKind::create, .path = "right"}}), 1);
    cluster_.world().heal_all();
    ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::wait && node("node2").state() == NodeState::wait; }));
  }
  // PRIM node1 holding the lease and the VIP, SECOND node2, files w0..w7 replicated.
  void settle_with_witness_and_files() {
    with_application_ = true;
    add_witness();
    settle_prim_and_second();
    ASSERT_TRUE(run_until([&] { return node("node1").holds_lease() && holds_vip("node1"); })) << dump_log();
    for (int i = 0; i < 8; ++i) ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "w" + std::to_string(i)}}), 1);
  }

  void settle_prim_and_second_with(const std::string& primary, const std::string& secondary) {
    start("node1");
    start("node2");
    ASSERT_TRUE(run_until([&] { return primary_and_synchronised(primary, secondary); })) << dump_log();
  }
  bool primary_and_synchronised(const std::string& primary, const std::string& secondary) {
    return nodes_.contains(primary) && nodes_.contains(secondary) && node(primary).state() == NodeState::prim &&
           node(secondary).synchronised() && !node(primary).reintegration_progress();
  }

  std::vector<std::string> replicated_tree(const std::string& name) {
    std::vector<std::string> entries;
    for (const auto& entry : cluster_.node(name).disk().tree()) {
      if (!entry.path.starts_with("/data")) continue;
      const auto bytes = cluster_.node(name).disk().contents(entry.path);
      entries.push_back(entry.path + " " + std::to_string(entry.size_bytes) + " " +
                        (bytes ? std::to_string(std::hash<std::string>{}(std::string(bytes->begin(), bytes->end()))) : "dir"));
    }
    return entries;
  }

  // Submits and waits for every completion; returns how many were acknowledged ok.
  int write_all(const std::string& name, const std::vector<FileOp>& ops) {
    int done = 0;
    int ok = 0;
    for (const FileOp& op : ops) {
      EXPECT_EQ(node(name).submit(op, [&](io::Error e) {
        ++done;
        ok += e == io::Error::ok;
      }), io::Error::ok);
    }
    EXPECT_TRUE(run_until([&] { return done == static_cast<int>(ops.size()); })) << dump_log();
    return ok;
  }

  AsyncMode async_mode_ = AsyncMode::none;
  bool with_application_ = false;
  bool witness_ = false;
  ClusterPolicy policy_;
  std::int64_t pulse_ms_ = kPulseMs;
  std::int64_t timeout_ms_ = kTimeoutMs;
  ProcessCheckerConfig errd_;
  std::map<std::string, int> start_prim_runs_;
  sim::SimCluster cluster_;
  // A fault layer over a node's disk and the io bundle that uses it.
  template <typename Layer>
  struct DiskSlot {
    std::unique_ptr<Layer> fs;
    std::unique_ptr<io::Io> io;
  };
  template <typename Layer>
  Layer& layered_disk(const std::string& name, std::map<std::string, DiskSlot<Layer>>& slots) {
    EXPECT_EQ(faulty_.contains(name) + slow_.contains(name) + !slots.contains(name), 1) << "one layer per node";
    auto& slot = slots[name];
    if (!slot.fs) {
      io::Io& base = cluster_.node(name).io();
      slot.fs = std::make_unique<Layer>(base.fs, cluster_.scheduler(), io::Prng(cluster_.seed()));
      slot.io = std::make_unique<io::Io>(io::Io{base.clock, base.random, base.network, *slot.fs, base.processes,
                                                base.services, base.vip});
    }
    return *slot.fs;
  }
  std::map<std::string, DiskSlot<fsim::FaultyFs>> faulty_;  // before nodes_: destroyed after them
  std::map<std::string, DiskSlot<fsim::SlowFs>> slow_;      // before nodes_: destroyed after them
  std::map<std::string, std::unique_ptr<Node>> nodes_;
  std::unique_ptr<witness::WitnessServer> witness_server_;  // destroyed before the cluster
  std::map<std::string, std::vector<std::pair<std::int64_t, NodeState>>> transitions_;
  std::vector<std::string> log_;
};

class NodeTest : public ::testing::Test, public TwoNodes {};

TEST_F(NodeTest, a_synchronised_pair_restarts_as_prim_and_second_and_replicates_writes) {
  // Records of a pair that was synchronised, but no activity records: those count as
  // lost, so the first meeting compares everything before PRIM/SECOND.
  install_synchronised_generation();
  start("node1");
  start("node2");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); })) << dump_log();
  EXPECT_FALSE(node("node1").last_reintegration_fast());
  // The target's log names the mode the source chose, which it learns only then.
  EXPECT_TRUE(logged("node2: full reintegration from node1 begins")) << dump_log();
  EXPECT_FALSE(logged("node2: fast reintegration from node1 begins")) << dump_log();
  int done = 0;
  ASSERT_EQ(node("node1").submit({.kind = OpKind::create, .path = "f"}, [&](io::Error e) { EXPECT_EQ(e, io::Error::ok); ++done; }), io::Error::ok);
  ASSERT_EQ(node("node1").submit(write_op("f", 0, "replicated"), [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    EXPECT_EQ(disk_text("node2", "/data/f"), "replicated") << "acknowledged only once the secondary applied it";
    ++done;
  }), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return done == 2; }));
  EXPECT_EQ(node("node2").submit(write_op("f", 0, "x"), [](io::Error) {}), io::Error::read_only) << "the secondary is read-only";
}

TEST_F(NodeTest, the_secondary_takes_over_within_timeout_plus_a_pulse_with_every_acknowledged_write) {
  with_application_ = true;
  settle_prim_and_second();
  ASSERT_TRUE(run_until([&] { return holds_vip("node1"); }));
  EXPECT_EQ(start_prim_runs_["node1"], 1);
  EXPECT_EQ(start_prim_runs_["node2"], 0);
  std::vector<std::string> acknowledged;
  ASSERT_EQ(node("node1").submit({.kind = OpKind::create, .path = "log"}, [](io::Error) {}), io::Error::ok);
  std::uint64_t offset = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string entry = "entry" + std::to_string(i) + ";";
    ASSERT_EQ(node("node1").submit(write_op("log", offset, entry), [&, entry](io::Error e) {
      if (e == io::Error::ok) acknowledged.push_back(entry);
    }), io::Error::ok);
    offset += entry.size();
  }
  ASSERT_TRUE(run_until([&] { return acknowledged.size() == 20; }));
  const std::int64_t crashed_at = now_ns();
  crash("node1");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; })) << dump_log();
  const std::int64_t took_ns = now_ns() - crashed_at;
  EXPECT_LE(took_ns, (kTimeoutMs + kPulseMs + 50) * io::kNsPerMs) << "took " << took_ns / io::kNsPerMs << " ms";
  ASSERT_TRUE(run_until([&] { return node("node2").role_state() == PrimaryRole::State::primary; })) << dump_log();
  EXPECT_TRUE(holds_vip("node2"));
  EXPECT_EQ(start_prim_runs_["node2"], 1);
  EXPECT_FALSE(cluster_.vips().first_overlap(kVip)) << "the VIP was never held twice";
  std::string expected;
  for (const auto& entry : acknowledged) expected += entry;
  EXPECT_EQ(disk_text("node2", "/data/log"), expected);
  int written_alone = 0;
  ASSERT_EQ(node("node2").submit(write_op("log", 0, "E"), [&](io::Error e) { written_alone += e == io::Error::ok; }), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return written_alone == 1; }));
}

TEST_F(NodeTest, a_cut_replication_link_with_heartbeats_flowing_outdates_the_secondary_before_the_primary_goes_on) {
  settle_prim_and_second();
  ASSERT_EQ(node("node1").submit({.kind = OpKind::create, .path = "f"}, [](io::Error) {}), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return disk_text("node2", "/data/f") == ""; }));
  cluster_.world().partition("node1", "node2", netsim::Direction::both, "flow");
  std::int64_t acknowledged_at = 0;
  ASSERT_EQ(node("node1").submit(write_op("f", 0, "during the cut"), [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    acknowledged_at = now_ns();
  }), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone; })) << dump_log();
  ASSERT_TRUE(run_until([&] { return acknowledged_at != 0; }));
  // The secondary's outdated mark was durable before the write was acknowledged alone.
  EXPECT_TRUE(node("node2").generation().outdated);
  EXPECT_EQ(node("node2").state(), NodeState::wait);
  EXPECT_FALSE(ever_in("node2", NodeState::alone)) << "no failover while heartbeats flow";
  crash("node2");
  start("node2");
  run_until([&] { return false; }, 5);
  EXPECT_NE(node("node2").state(), NodeState::alone) << "an outdated copy never promotes itself";
  EXPECT_EQ(node("node2").prim(false).find("prim refused"), 0u);
}

// Seed 7456's race, made exact with a slow disk: a secondary deaf to its primary (the
// primary's heartbeats lost one way, the replication network cut) takes it for gone
// and begins going alone; the primary, which still hears it, asks it to mark its copy
// outdated. Heard while the new generation is being recorded, the request abandons the
// takeover: the secondary never serves, and the abandoned generation is never adopted
// nor published -- only the outdated mark of the generation the two shared.
TEST_F(NodeTest, marking_the_copy_outdated_abandons_a_takeover_whose_generation_is_being_recorded) {
  slow_disk("node2");
  settle_prim_and_second();
  const std::uint64_t shared = node("node2").generation().current;
  ASSERT_EQ(node("node1").generation().current, shared);
  slow_disk("node2").set_options({.sync_latency_min_ns = 2 * io::kNsPerS, .sync_latency_max_ns = 2 * io::kNsPerS});
  cluster_.world().partition("node1", "node2", netsim::Direction::both, "flow");
  cluster_.world().partition("node1", "node2", netsim::Direction::one_way, "hb");  // node2 is deaf
  ASSERT_TRUE(run_until([&] { return logged("node2: this copy is durable: recording a new data generation"); }))
      << dump_log();
  cluster_.world().heal("node1", "node2", "hb");
  bool adopted_another = false;
  ASSERT_TRUE(run_until([&] {
    adopted_another = adopted_another || node("node2").generation().current != shared;
    return node("node2").generation().outdated;
  })) << dump_log();
  EXPECT_TRUE(logged("node2: going alone abandoned: the primary is alive")) << dump_log();
  EXPECT_FALSE(adopted_another) << "the abandoned generation was adopted (and published)";
  EXPECT_EQ(node("node2").generation().current, shared);
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone; })) << dump_log();
  run_until([&] { return false; }, 5);
  EXPECT_FALSE(ever_in("node2", NodeState::alone)) << dump_log();
  EXPECT_EQ(node("node2").state(), NodeState::wait);
}

TEST_F(NodeTest, a_stale_node_starting_alone_waits_prim_is_refused_and_primforce_works) {
  GenerationInfo outdated{.current = 77, .history = {70}, .outdated = true};
  cluster_.node("node2").disk().install_file(std::string(kStateDir) + "/generation", wire::encode_body(outdated));
  start("node2");
  ASSERT_TRUE(run_until([&] { return node("node2").state_reason().find("outdated") != std::string::npos; })) << dump_log();
  EXPECT_EQ(node("node2").state(), NodeState::wait);
  EXPECT_NE(node("node2").prim(false), "");
  EXPECT_EQ(node("node2").state(), NodeState::wait);
  EXPECT_EQ(node("node2").prim(true), "");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; }));
  EXPECT_NE(node("node2").generation().current, 77u) << "acknowledging alone starts a new generation";
}

// Property counterexample 872608: both copies inconsistent (reintegrations that never
// finished), the nodes met and both waited; primforce made node1 ALONE, but nothing
// brought the two together again and node2 waited for good.
TEST_F(NodeTest, primforce_on_one_of_two_waiting_inconsistent_nodes_reintegrates_the_other) {
  install_synchronised_generation(GenerationInfo{.current = 77, .history = {70}, .consistent = false});
  start("node1");
  start("node2");
  ASSERT_TRUE(run_until([&] { return node("node2").state_reason().find("neither node's data is up to date") != std::string::npos; }))
      << dump_log();
  EXPECT_NE(node("node1").prim(false), "");
  EXPECT_EQ(node("node1").prim(true), "");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); }, 60)) << dump_log();
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
}

// Seeds 162821 and 172953, without a witness: node1 served last and its copy is
// outdated (its peer was told to go on alone), node2's is inconsistent and older (a
// reintegration from node1 into it failed on a disk error). Both wait; the admin's
// primforce chose node2. node2's new generation did not name node1's data as
// discarded, so at the next meeting node1 found its data newer than the running
// primary's and waited for an admin for good, although one had just decided.
TEST_F(NodeTest, seed_162821_primforce_on_the_older_of_two_waiting_copies_overwrites_the_newer_one) {
  GenerationInfo newer{.current = 80, .history = {77, 70}, .outdated = true, .last_role = LastRole::primary,
                      .acknowledged_alone = true};
  GenerationInfo older{.current = 77, .history = {70}, .consistent = false, .last_role = LastRole::secondary};
  cluster_.node("node1").disk().install_file(std::string(kStateDir) + "/generation", wire::encode_body(newer));
  cluster_.node("node2").disk().install_file(std::string(kStateDir) + "/generation", wire::encode_body(older));
  cluster_.node("node1").disk().install_file("/data/only_on_node1", io::as_bytes("1"));
  cluster_.node("node2").disk().install_file("/data/only_on_node2", io::as_bytes("2"));
  start("node1");
  start("node2");
  ASSERT_TRUE(run_until([&] { return node("node2").state_reason().find("neither node's data is up to date") != std::string::npos; }))
      << dump_log();
  EXPECT_NE(node("node2").prim(false), "") << "prim is refused on an inconsistent copy";
  ASSERT_EQ(node("node2").prim(true), "");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1"); }, 60)) << dump_log();
  EXPECT_FALSE(node("node2").last_reintegration_fast()) << "an overruled copy is compared in full";
  EXPECT_EQ(disk_text("node1", "/data/only_on_node1"), "<missing>") << "the admin chose node2's data";
  EXPECT_EQ(disk_text("node1", "/data/only_on_node2"), "2");
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
}

// The same decision taken on the running primary: node2 went ALONE on its older copy
// (primforce before the two met) and node1, newer but outdated, waits for an admin;
// `primforce` on node2 settles it instead of answering "already primary", and `prim`
// there is refused: it would overwrite newer data (seed 234966).
TEST_F(NodeTest, primforce_on_a_running_primary_whose_peer_waits_with_newer_data_overwrites_the_peer) {
  install_newer_outdated_node1_and_older_node2();
  cluster_.node("node1").disk().install_file("/data/only_on_node1", io::as_bytes("1"));
  start("node2");
  ASSERT_TRUE(run_until([&] { return node("node2").state_reason().find("was secondary when it stopped") != std::string::npos; }))
      << dump_log();
  ASSERT_EQ(node("node2").prim(true), "");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; })) << dump_log();
  start("node1");
  ASSERT_TRUE(run_until([&] { return logged("node2: staying ALONE; node1 waits"); })) << dump_log();
  EXPECT_NE(node("node1").state_reason().find("newer than the running primary"), std::string::npos);
  // Seed 234966: prim on the staler copy is refused; overwriting newer data is primforce's.
  EXPECT_EQ(node("node2").prim(false),
            "prim refused: node1's copy is newer than this one (it waits for an admin); run prim on node1, or primforce here "
            "to overwrite it");
  ASSERT_EQ(node("node2").prim(true), "");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1"); }, 60)) << dump_log();
  EXPECT_EQ(disk_text("node1", "/data/only_on_node1"), "<missing>");
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
  EXPECT_EQ(node("node2").prim(false), "already primary") << "nothing is left to overrule";
}

// Seed 234966 (with a witness): node1 had served alone and, fenced when its lease ran
// out, waited with the newer copy; node2, older, met it, then node1 stopped. The
// admin's prim on node2 was accepted and overwrote node1's acknowledged writes. prim
// on a copy its peer is known to be newer than is refused; primforce stays possible.
TEST_F(NodeTest, seed_234966_prim_on_a_copy_whose_waiting_peer_is_newer_is_refused) {
  install_newer_outdated_node1_and_older_node2();
  start("node1");
  start("node2");
  ASSERT_TRUE(run_until([&] { return logged("node2: met node1"); })) << dump_log();
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::wait && node("node2").state() == NodeState::wait; }))
      << dump_log();
  node("node1").stop();
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::stop; })) << dump_log();
  EXPECT_EQ(node("node2").prim(false),
            "prim refused: node1's copy is newer than this one (it waits for an admin); run prim on node1, or primforce here "
            "to overwrite it");
  cluster_.scheduler().run_for(io::kNsPerS);
  EXPECT_EQ(node("node2").state(), NodeState::wait) << dump_log();
  ASSERT_EQ(node("node2").prim(true), "");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; })) << dump_log();
}

// Seed 162821's other half: a split brain settled (prim on node1, node2 reintegrated
// from it) left node2 remembering node1's diverged generation; a later admin's prim on
// node2 then "resolved" that old split brain again, discarding a stale id instead of
// anything the two held now.
TEST_F(NodeTest, seed_162821_a_split_brain_settled_at_a_later_meeting_is_not_resolved_again) {
  ASSERT_NO_FATAL_FAILURE(make_split_brain());
  ASSERT_EQ(node("node1").prim(false), "");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); }, 60)) << dump_log();
  crash("node1");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; })) << dump_log();
  EXPECT_EQ(node("node2").prim(false), "already primary") << dump_log();
  EXPECT_FALSE(logged("node2: admin prim")) << dump_log();
}

TEST_F(NodeTest, a_full_partition_without_witness_is_a_split_brain_detected_when_the_nodes_meet) {
  settle_prim_and_second();
  cluster_.world().partition("node1", "node2");
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone && node("node2").state() == NodeState::alone; }))
      << dump_log();
  ASSERT_EQ(node("node1").submit({.kind = OpKind::create, .path = "left"}, [](io::Error) {}), io::Error::ok);
  ASSERT_EQ(node("node2").submit({.kind = OpKind::create, .path = "right"}, [](io::Error) {}), io::Error::ok);
  cluster_.world().heal_all();
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::wait && node("node2").state() == NodeState::wait; }))
      << dump_log();
  EXPECT_NE(node("node1").state_reason().find("SPLIT BRAIN"), std::string::npos) << node("node1").state_reason();
  EXPECT_NE(node("node2").state_reason().find("SPLIT BRAIN"), std::string::npos);
  EXPECT_EQ(node("node1").submit(write_op("left", 0, "x"), [](io::Error) {}), io::Error::read_only) << "nothing merged, nothing written";

  // The admin decides: node2's data wins. node1's copy is fully reintegrated from it.
  ASSERT_EQ(node("node2").prim(false), "");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1"); }, 60)) << dump_log();
  EXPECT_FALSE(node("node2").last_reintegration_fast()) << "a resolved divergence is compared in full";
  EXPECT_EQ(disk_text("node1", "/data/left"), "<missing>") << "the loser's write is gone";
  EXPECT_EQ(disk_text("node1", "/data/right"), "");
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
  // Restarting both does not bring the divergence back.
  node("node1").stop();
  node("node2").stop();
  node("node1").start();
  node("node2").start();
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::prim || node("node2").state() == NodeState::prim; }, 60))
      << dump_log();
  EXPECT_EQ(dump_log().find("SPLIT BRAIN DETECTED", dump_log().find("node2: WAIT -> ALONE: admin prim")), std::string::npos);
}

// Seed 4237, without a witness: the PRIM froze, its secondary took over and served
// alone in a new generation; the PRIM, thawed, heard its peer report ALONE and lost
// the replication link, then the peer stopped. Its silence then made the old PRIM go
// on alone on its older copy, without what the peer had acknowledged. A primary whose
// peer went on alone in another generation fences itself and marks its copy outdated,
// whichever it learns first: the peer's ALONE (the seed: heartbeats held by the freeze
// ahead of the link's end) or the link's end (thawed before the peer's next pulse).
void thaw_a_primary_whose_peer_went_on_alone(TwoNodes& world, bool alone_heard_first) {
  world.settle_prim_and_second();
  const std::int64_t frozen_at = world.now_ns();
  world.cluster_.node("node1").freeze();
  ASSERT_TRUE(world.run_until([&] { return world.node("node2").state() == NodeState::alone; })) << world.dump_log();
  ASSERT_EQ(world.write_all("node2", {{.kind = OpKind::create, .path = "only_on_node2"}}), 1);
  if (alone_heard_first) world.cluster_.scheduler().run_for(5 * kPulseMs * io::kNsPerMs);
  world.cluster_.node("node1").thaw();
  ASSERT_TRUE(world.run_until([&] {
    return world.logged("node1: peer reports ALONE") && world.logged("node1: replication link lost");
  })) << world.dump_log();
  const std::string log = world.dump_log();
  ASSERT_EQ(log.find("node1: peer reports ALONE") < log.find("node1: replication link lost"), alone_heard_first) << log;
  world.node("node2").stop();
  world.run_until([&] { return false; }, 5);
  for (const auto& [at, to] : world.transitions_["node1"]) {
    EXPECT_FALSE(at >= frozen_at && to == NodeState::alone) << "node1 served its older copy alone\n" << world.dump_log();
  }
  EXPECT_EQ(world.node("node1").state(), NodeState::wait) << world.dump_log();
  EXPECT_TRUE(world.node("node1").generation().outdated) << "a restart must not serve this copy either";
  // Both back: node2's data wins and node1 is reintegrated from it.
  world.node("node2").start();
  ASSERT_TRUE(world.run_until([&] { return world.primary_and_synchronised("node2", "node1"); }, 60)) << world.dump_log();
  EXPECT_EQ(world.disk_text("node1", "/data/only_on_node2"), "");
}

TEST_F(NodeTest, seed_4237_a_primary_that_hears_its_peer_went_on_alone_never_serves_its_older_copy_alone) {
  thaw_a_primary_whose_peer_went_on_alone(*this, true);
}

TEST_F(NodeTest, seed_4237_a_primary_whose_link_ended_before_it_heard_its_peer_went_on_alone_never_serves_alone) {
  thaw_a_primary_whose_peer_went_on_alone(*this, false);
}

// Seed 125430, without a witness: node2, the last primary, restarted and waited for a
// replication link (cut) and froze; node1 connected meanwhile and sent its hello
// (SECOND, same data), then, node2 silent, ended that link and went on alone. node2,
// thawed, read the stale hello, took the primary role to reintegrate node1, and -- the
// link's end read just after -- served alone on a copy without node1's writes. A node
// made primary by a meeting acknowledges nothing alone before its peer answers as the
// reintegration target, and a link lost before that answer ends the role.
TEST_F(NodeTest, seed_125430_a_hello_read_after_a_freeze_does_not_make_a_stale_copy_serve_alone) {
  policy_ = ClusterPolicy{.default_prim = DefaultPrim::lastprim};  // the seed's: node2 wins the meeting
  settle_prim_and_second();
  ASSERT_EQ(node("node1").swap(), "");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1") && logged("node1: node2 took the primary role"); })) << dump_log();
  cluster_.world().partition("node1", "node2", netsim::Direction::both, "flow");
  // Applied here, never acknowledged (the secondary is cut off): marked in node2's
  // record, so their next meeting reintegrates node1 rather than pairing at once.
  (void)node("node2").submit({.kind = OpKind::create, .path = "unacknowledged"}, [](io::Error) {});
  run_until([&] { return false; }, 1);
  bool stopped = false;
  node("node2").stop([&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return stopped; })) << dump_log();
  node("node2").start();
  ASSERT_TRUE(run_until([&] { return node("node2").state_reason().find("replication link is not") != std::string::npos; }))
      << dump_log();
  cluster_.node("node2").freeze();
  cluster_.world().heal_all();
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone; })) << dump_log();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "only_on_node1"}}), 1);
  crash("node1");
  cluster_.node("node2").thaw();
  ASSERT_TRUE(run_until([&] { return logged("node2: met node1"); })) << dump_log();
  int acknowledged = 0;
  (void)node("node2").submit({.kind = OpKind::create, .path = "on_node2"}, [&](io::Error e) { acknowledged += e == io::Error::ok; });
  run_until([&] { return false; }, 5);
  EXPECT_EQ(acknowledged, 0) << "node2 served its older copy alone\n" << dump_log();
  EXPECT_FALSE(node("node2").generation().acknowledged_alone) << dump_log();
  EXPECT_NE(node("node2").state(), NodeState::alone) << dump_log();
  // node1 back (its unsynced create lost with the power): its data wins, node2 is
  // reintegrated from it.
  start("node1");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); }, 60)) << dump_log();
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
}

// Seed 1063: a node that hears its peer's heartbeats at start but gets no replication
// link used to go ALONE after the timeout, next to a peer that was serving.
TEST_F(NodeTest, seed_1063_nodes_that_hear_each_other_without_a_replication_link_wait_for_it_rather_than_go_alone) {
  install_synchronised_generation();
  cluster_.world().partition("node1", "node2", netsim::Direction::both, "flow");
  start("node1");
  start("node2");
  ASSERT_TRUE(run_until([&] { return node("node1").state_reason().find("replication link is not") != std::string::npos; }))
      << dump_log();
  cluster_.scheduler().run_for(5 * kTimeoutMs * io::kNsPerMs);
  EXPECT_FALSE(ever_in("node1", NodeState::alone)) << dump_log();
  EXPECT_FALSE(ever_in("node2", NodeState::alone)) << dump_log();
  cluster_.world().heal_all();
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); })) << dump_log();
  EXPECT_EQ(dump_log().find("SPLIT BRAIN"), std::string::npos);
}

// Still deferred when the peer then falls silent: the node decides as at any start.
TEST_F(NodeTest, a_start_deferred_for_a_peer_heard_without_a_link_goes_alone_once_the_peer_is_silent) {
  install_synchronised_generation();
  cluster_.world().partition("node1", "node2", netsim::Direction::both, "flow");
  start("node1");
  start("node2");
  ASSERT_TRUE(run_until([&] { return node("node1").state_reason().find("replication link is not") != std::string::npos; }))
      << dump_log();
  nodes_.erase("node2");  // gone for good
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone; })) << dump_log();
}

// Seed 4315: a restarted secondary met its primary over the replication link before
// it heard any heartbeat; when the primary crashed (the link ended), it took over at
// once, without the timeout of heartbeat silence a failover waits for -- what keeps it
// from serving beside a primary whose heartbeats it merely cannot hear.
TEST_F(NodeTest, seed_4315_a_restarted_secondary_that_never_heard_a_heartbeat_takes_over_only_after_the_timeout) {
  settle_prim_and_second();
  crash("node2");
  // Restarted before node1 takes it for gone: node1, still hearing it as up, retries
  // the link every pulse and connects before its next heartbeat reaches node2.
  cluster_.scheduler().run_for(300 * io::kNsPerMs);
  const std::size_t restart_lines = log_.size();
  const std::int64_t restarted_at = now_ns();
  start("node2");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); })) << dump_log();
  const bool heard = std::any_of(log_.begin() + static_cast<std::ptrdiff_t>(restart_lines), log_.end(),
                                 [](const std::string& line) { return line.starts_with("node2: peer node1 is up"); });
  ASSERT_FALSE(heard) << "the scenario needs a secondary that has not heard a heartbeat yet\n" << dump_log();
  crash("node1");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; })) << dump_log();
  EXPECT_GE(now_ns() - restarted_at, kTimeoutMs * io::kNsPerMs) << dump_log();
  EXPECT_TRUE(logged("node2: peer node1 is down (no heartbeat from node1 on any network since this node started"))
      << dump_log();
}

// Seed 1353: a primary crashed while its secondary was synchronised, losing writes it
// had acknowledged but not made durable (the secondary had them); restarted while cut
// off, it used to go ALONE on its damaged copy, and the admin's choice in the split
// brain that followed lost those writes.
TEST_F(NodeTest, seed_1353_a_primary_that_crashed_while_paired_waits_for_its_peer_and_prim_is_refused) {
  settle_prim_and_second();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, std::string(5000, 'a'))}), 2);
  cluster_.world().partition("node1", "node2");
  crash("node1");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; })) << dump_log();
  ASSERT_EQ(write_all("node2", {write_op("f", 0, "served by node2")}), 1);
  transitions_["node1"].clear();  // only this run's
  start("node1");
  ASSERT_TRUE(run_until([&] { return node("node1").state_reason().find("crashed while its peer") != std::string::npos; }))
      << dump_log();
  cluster_.scheduler().run_for(5 * kTimeoutMs * io::kNsPerMs);
  EXPECT_EQ(node("node1").state(), NodeState::wait);
  EXPECT_FALSE(ever_in("node1", NodeState::alone));
  EXPECT_NE(node("node1").prim(false).find("prim refused"), std::string::npos);
  cluster_.world().heal_all();
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1"); }, 60)) << dump_log();
  EXPECT_EQ(disk_text("node1", "/data/f"), disk_text("node2", "/data/f"));
  EXPECT_EQ(disk_text("node2", "/data/f").substr(0, 15), "served by node2");
  EXPECT_EQ(dump_log().find("SPLIT BRAIN"), std::string::npos);
}

// Seed 273: the secondary took over (node1's heartbeats lost one way), then crashed
// while ALONE; its copy lost writes acknowledged while paired that it had applied but
// not yet made durable, and its newer generation then overwrote node1, which had them.
TEST_F(NodeTest, seed_273_a_secondary_makes_its_copy_durable_before_taking_over_so_its_crash_loses_no_paired_write) {
  settle_prim_and_second();
  ASSERT_TRUE(run_until([&] { return node("node1").active_extents() == 0; })) << dump_log();
  const std::string paired(6000, 'p');
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, paired)}), 2);
  cluster_.world().partition("node1", "node2", netsim::Direction::one_way);  // node1's packets are lost
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; })) << dump_log();
  crash("node2");
  EXPECT_EQ(disk_text("node2", "/data/f"), paired) << "made durable before node2 acknowledged anything alone";
  start("node2");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; })) << dump_log();
  cluster_.world().heal_all();
  ASSERT_TRUE(run_until([&] {
    return (primary_and_synchronised("node1", "node2") || primary_and_synchronised("node2", "node1"));
  }, 60)) << dump_log();
  EXPECT_EQ(disk_text("node1", "/data/f"), paired);
  EXPECT_EQ(disk_text("node2", "/data/f"), paired);
}

// Seed 862: the primary's disk failed a write its secondary applied; the primary
// stopped (handing its role over) with the copies different within one generation,
// and a later meeting of the same generations settled without any reintegration.
TEST_F(NodeTest, seed_862_a_primary_whose_disk_failed_an_op_the_secondary_applied_marks_its_copy_inconsistent) {
  faulty_disk("node1");
  settle_prim_and_second();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, "aaaa")}), 2);
  faulty_disk("node1").fail_next(fsim::FaultKind::write, 1);  // the extent is active: the data write itself
  EXPECT_EQ(write_all("node1", {write_op("f", 0, "bbbb")}), 0);
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::stop; })) << dump_log();
  EXPECT_FALSE(node("node1").generation().consistent);
  EXPECT_EQ(disk_text("node1", "/data/f"), "aaaa");
  EXPECT_EQ(disk_text("node2", "/data/f"), "bbbb");
  node("node1").start();
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1"); }, 60)) << dump_log();
  EXPECT_EQ(disk_text("node1", "/data/f"), "bbbb");
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
}

// Seed 1375: as 862, but the inconsistent mark never reached the disk (it failed too)
// and a checkpoint of the stop retired the failed write's extent: the copy came back
// as an equal in the same generation, and the two copies differed for good. The
// extent of an op that failed on one copy now stays in the activity record until a
// resync covers it.
TEST_F(NodeTest, seed_1375_a_failed_write_stays_marked_when_the_inconsistent_mark_cannot_be_written) {
  faulty_disk("node1");
  settle_prim_and_second();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, "aaaa")}), 2);
  // The data write, then the generation record's write (the inconsistent mark).
  faulty_disk("node1").fail_next(fsim::FaultKind::write, 2);
  EXPECT_EQ(write_all("node1", {write_op("f", 0, "bbbb")}), 0);
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::stop; })) << dump_log();
  ASSERT_TRUE(logged("node1: cannot persist the generation record: io_error")) << dump_log();
  EXPECT_EQ(disk_text("node1", "/data/f"), "aaaa");
  EXPECT_EQ(disk_text("node2", "/data/f"), "bbbb");
  node("node1").start();
  ASSERT_TRUE(run_until([&] {
    return primary_and_synchronised("node2", "node1") || primary_and_synchronised("node1", "node2");
  }, 60)) << dump_log();
  EXPECT_EQ(disk_text("node1", "/data/f"), "bbbb") << dump_log();
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
}

// Seed 2363: under async "second" the secondary acknowledged an op on receipt, then
// its full disk failed it. The primary stopped before it could ask that copy to mark
// itself outdated, and the secondary took over without the acknowledged write.
TEST_F(NodeTest, seed_2363_a_secondary_that_failed_an_op_it_had_acknowledged_never_takes_over_without_it) {
  async_mode_ = AsyncMode::second;
  faulty_disk("node2");
  settle_prim_and_second();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, "aaaa")}), 2);
  faulty_disk("node2").fail_next(fsim::FaultKind::write, 1, io::Error::no_space);
  ASSERT_EQ(write_all("node1", {write_op("f", 0, "bbbb")}), 1) << "acknowledged on receipt";
  ASSERT_TRUE(run_until([&] { return logged("writes wait: asking the secondary"); })) << dump_log();
  node("node1").stop();  // before node2 heard the request to mark itself outdated
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::stop; })) << dump_log();
  ASSERT_TRUE(run_until([&] { return node("node2").state() != NodeState::second; })) << dump_log();
  EXPECT_EQ(node("node2").state(), NodeState::wait) << dump_log();
  EXPECT_FALSE(run_until([&] { return node("node2").state() == NodeState::alone; }, 10))  // well past the timeout
      << dump_log();
  EXPECT_FALSE(node("node2").generation().consistent);
  node("node1").start();
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); }, 60)) << dump_log();
  EXPECT_EQ(disk_text("node2", "/data/f"), "bbbb");
}

// Seed 2580: the rewrite of the activity record that only retires extents failed on
// the PRIM. Nothing could be admitted into a new extent from then on, yet the PRIM
// served on until a writer was refused 13 s later, and stopped then.
TEST_F(NodeTest, seed_2580_a_primary_whose_activity_record_cannot_be_rewritten_stops_at_once_and_its_peer_takes_over) {
  faulty_disk("node1");
  settle_prim_and_second();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, "aaaa")}), 2);
  ASSERT_GT(node("node1").active_extents(), 0u);
  // Nothing else writes on node1 now: the next write is the rewrite once both copies
  // are durable (the checkpoint retires the extent).
  faulty_disk("node1").fail_next(fsim::FaultKind::write, 1);
  ASSERT_TRUE(run_until([&] { return logged("could not be written (io_error)"); })) << dump_log();
  EXPECT_TRUE(run_until([&] { return node("node1").state() == NodeState::stop; }, 1)) << dump_log();
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; })) << dump_log();
  EXPECT_EQ(disk_text("node2", "/data/f"), "aaaa");
}

// Seed 1553: a swap abandoned when the link broke fences the primary's role before
// taking it again; the primary went ALONE meanwhile (its secondary outdated itself),
// and the role was never taken again: ALONE without VIP or application.
TEST_F(NodeTest, seed_1553_a_primary_that_goes_alone_while_an_abandoned_swap_settles_takes_its_role_again) {
  with_application_ = true;
  settle_prim_and_second();
  ASSERT_TRUE(run_until([&] { return node("node1").role_state() == PrimaryRole::State::primary; })) << dump_log();
  ASSERT_EQ(node("node1").swap(), "");
  cluster_.world().partition("node1", "node2", netsim::Direction::both, "flow");
  ASSERT_TRUE(run_until([&] { return dump_log().find("handover abandoned") != std::string::npos; })) << dump_log();
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone; })) << dump_log();
  ASSERT_TRUE(run_until([&] { return node("node1").role_state() == PrimaryRole::State::primary && holds_vip("node1"); }))
      << dump_log();
}

// Found by the e2e test: after a power cut the replication TCP connection stays "up"
// for minutes (no FIN; the kernel's timers are slow), and a node trusted it over its
// silent heartbeats. The link's own silence now ends it: the secondary takes over
// within timeout + a pulse or two, long before the simulated TCP break (10 s).
TEST(NodeHalfOpenLink, a_half_open_replication_link_does_not_hold_back_the_takeover_when_every_heartbeat_is_silent) {
  netsim::Options slow_tcp = network_options();
  slow_tcp.stream_break_timeout_ns = 600 * io::kNsPerS;  // Linux: many minutes without a FIN
  TwoNodes world(7, slow_tcp);
  world.settle_prim_and_second();
  const std::int64_t cut = world.now_ns();
  world.cluster_.world().partition("node1", "node2");  // everything: the TCP stream too, silently
  ASSERT_TRUE(world.run_until([&] { return world.node("node2").state() == NodeState::alone; })) << world.dump_log();
  EXPECT_LE(world.now_ns() - cut, (2 * kTimeoutMs + 3 * kPulseMs) * io::kNsPerMs) << world.dump_log();
  EXPECT_NE(world.dump_log().find("the replication link carried nothing"), std::string::npos) << world.dump_log();
}

// The same half-open link seen from a primary without a witness, its secondary gone
// (a power cut sends no FIN): a write waits for the secondary's acknowledgement, and
// without the link's own silence it would wait for the kernel's timers (minutes).
TEST(NodeHalfOpenLink, a_primary_without_a_witness_goes_on_alone_when_every_heartbeat_and_the_link_are_silent) {
  netsim::Options slow_tcp = network_options();
  slow_tcp.stream_break_timeout_ns = 600 * io::kNsPerS;
  TwoNodes world(7, slow_tcp);
  world.settle_prim_and_second();
  ASSERT_EQ(world.write_all("node1", {{.kind = OpKind::create, .path = "f"}}), 1);
  const std::int64_t cut = world.now_ns();
  world.cluster_.world().partition("node1", "node2");
  std::int64_t acknowledged_at = 0;
  ASSERT_EQ(world.node("node1").submit(write_op("f", 0, "after the cut"), [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    acknowledged_at = world.now_ns();
  }), io::Error::ok);
  ASSERT_TRUE(world.run_until([&] { return acknowledged_at != 0; })) << world.dump_log();
  EXPECT_EQ(world.node("node1").state(), NodeState::alone);
  EXPECT_LE(acknowledged_at - cut, (2 * kTimeoutMs + 3 * kPulseMs) * io::kNsPerMs) << world.dump_log();
  EXPECT_TRUE(world.logged("node1: replication link lost: protocol error: every heartbeat network is silent and the "
                           "replication link carried nothing"))
      << world.dump_log();
}

// Seed 405: a secondary that could not make its copy durable before taking over
// stopped, and its stop was recorded as clean; after a power cut it then accepted
// `prim` on a copy missing writes its peer had acknowledged.
TEST_F(NodeTest, seed_405_a_stop_after_a_failed_sync_is_not_recorded_clean_so_prim_is_refused_after_a_power_cut) {
  faulty_disk("node2");
  settle_prim_and_second();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, "acknowledged")}), 2);
  faulty_disk("node2").fail_next(fsim::FaultKind::fsync, 1000);
  crash("node1");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::stop; })) << dump_log();
  EXPECT_NE(dump_log().find("cannot make this copy durable"), std::string::npos) << dump_log();
  nodes_.erase("node2");
  cluster_.node("node2").disk().crash();
  faulty_disk("node2").cancel_pending();
  faulty_disk("node2").set_options({});
  start("node2");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::wait && now_ns() > 0; })) << dump_log();
  cluster_.scheduler().run_for(3 * kTimeoutMs * io::kNsPerMs);
  EXPECT_NE(node("node2").prim(false), "") << "this copy may lack acknowledged writes";
}

// Seed 777: a secondary stopped cleanly, then lost power while stopped; the ops it
// had applied but not synced were gone, yet its record said "clean", and at the next
// meeting its copy overwrote the primary's as the one holding every acknowledged write.
TEST_F(NodeTest, seed_777_a_secondary_makes_its_copy_durable_before_its_stop_is_recorded_clean) {
  settle_prim_and_second();
  const std::string acknowledged(6000, 'a');
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, acknowledged)}), 2);
  bool stopped = false;
  node("node2").stop([&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return stopped; })) << dump_log();
  EXPECT_FALSE(node("node2").generation().running) << "the stop is recorded clean";
  cluster_.node("node2").disk().crash();  // a power cut while stopped
  EXPECT_EQ(disk_text("node2", "/data/f"), acknowledged) << "durable before the clean stop was recorded";
}

TEST_F(NodeTest, a_node_returning_after_a_failover_is_reintegrated_while_the_primary_keeps_writing) {
  settle_prim_and_second();
  ASSERT_EQ(node("node1").submit({.kind = OpKind::create, .path = "f"}, [](io::Error) {}), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return disk_text("node2", "/data/f") == ""; }));
  crash("node1");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; })) << dump_log();
  int done = 0;
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(node("node2").submit(write_op("f", static_cast<std::uint64_t>(i) * 4096, std::string(4096, 'a' + i % 26)),
                                   [&](io::Error e) { done += e == io::Error::ok; }), io::Error::ok);
  }
  ASSERT_TRUE(run_until([&] { return done == 50; }));
  start("node1");
  // Writes continue while node1 is reintegrated.
  int live = 0;
  for (int i = 0; i < 10; ++i) {
    run_until([&] { return false; }, 0);
    const io::Error accepted = node("node2").submit(write_op("f", 300000 + static_cast<std::uint64_t>(i), "L"), [&](io::Error e) {
      live += e == io::Error::ok;
    });
    if (accepted == io::Error::ok) continue;
    ASSERT_TRUE(accepted == io::Error::would_block || accepted == io::Error::read_only) << io::error_name(accepted);
  }
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::prim && node("node1").synchronised(); }, 60))
      << dump_log();
  ASSERT_EQ(node("node2").submit(write_op("f", 0, "after"), [&](io::Error e) { done += e == io::Error::ok; }), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return done == 51 && disk_text("node1", "/data/f") == disk_text("node2", "/data/f"); }));
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
  EXPECT_EQ(node("node1").generation().current, node("node2").generation().current);
  EXPECT_TRUE(node("node2").last_reintegration_fast()) << "node1 returned at the generation node2 left";
  // The secondary's copy is changed behind replication's back: the next op that fails
  // there must be reported and the link dropped, also on a primary that began ALONE.
  cluster_.node("node1").disk().install_directory("/data/clash");
  io::Error clash_result = io::Error::ok;
  bool clash_done = false;
  ASSERT_EQ(node("node2").submit({.kind = OpKind::create, .path = "clash"}, [&](io::Error e) {
    clash_result = e;
    clash_done = true;
  }), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return clash_done; }));
  EXPECT_NE(clash_result, io::Error::ok) << "the writer hears that the copies disagree";
  EXPECT_NE(dump_log().find("node2: the secondary failed op"), std::string::npos) << dump_log();
}

TEST_F(NodeTest, a_node_killed_mid_reintegration_is_never_promoted_and_is_reintegrated_later) {
  settle_prim_and_second();
  crash("node2");
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone; }));
  ASSERT_EQ(node("node1").submit({.kind = OpKind::create, .path = "big"}, [](io::Error) {}), io::Error::ok);
  int done = 0;
  for (int i = 0; i < 64; ++i) {
    ASSERT_EQ(node("node1").submit(write_op("big", static_cast<std::uint64_t>(i) * 65536, std::string(65536, 'x')),
                                   [&](io::Error e) { done += e == io::Error::ok; }), io::Error::ok);
  }
  ASSERT_TRUE(run_until([&] { return done == 64; }));
  start("node2");
  auto durable_generation = [&] {
    const auto bytes = cluster_.node("node2").disk().durable_contents(std::string(kStateDir) + "/generation");
    auto decoded = wire::decode_body<GenerationInfo>(bytes ? *bytes : io::Bytes{});
    return decoded ? decoded.value() : GenerationInfo{};
  };
  ASSERT_TRUE(run_until([&] { return !durable_generation().consistent; }, 60)) << dump_log();
  // Killed in the middle, restarted while it cannot reach its peer: it must wait, and
  // even the admin's prim is refused.
  crash("node2");
  cluster_.world().partition("node1", "node2");
  start("node2");
  run_until([&] { return false; }, 5);
  EXPECT_EQ(node("node2").state(), NodeState::wait) << dump_log();
  EXPECT_NE(node("node2").prim(false).find("inconsistent"), std::string::npos);
  EXPECT_FALSE(ever_in("node2", NodeState::alone));
  cluster_.world().heal_all();
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::prim && node("node2").synchronised(); }, 60))
      << dump_log();
  EXPECT_EQ(disk_text("node1", "/data/big"), disk_text("node2", "/data/big"));
  EXPECT_TRUE(durable_generation().consistent);
}

// Random writes of 1 byte to 20 KiB into a few files; `written` grows by each write's
// size rounded out to whole 4 KiB blocks (the bitmap's granularity).
std::vector<FileOp> random_writes(io::Prng& rng, int count, std::uint64_t& written) {
  std::vector<FileOp> ops;
  for (const char* name : {"a", "b", "c"}) ops.push_back({.kind = OpKind::create, .path = name});
  for (int i = 0; i < count; ++i) {
    const std::uint64_t offset = rng.below(1 << 20);
    const std::uint64_t size = 1 + rng.below(20000);
    FileOp op = write_op(std::string(1, static_cast<char>('a' + rng.below(3))), offset, std::string(size, static_cast<char>('A' + i % 26)));
    written += ((offset + size + 4095) / 4096 - offset / 4096) * 4096;
    ops.push_back(std::move(op));
  }
  return ops;
}

TEST_F(NodeTest, a_secondary_away_while_the_primary_writes_comes_back_by_a_fast_reintegration_of_at_most_twice_the_bytes_written) {
  settle_prim_and_second();
  io::Prng rng(11);
  std::uint64_t ignored = 0;
  ASSERT_EQ(write_all("node1", random_writes(rng, 20, ignored)), 23);
  // Checkpoints retire the extents of what both copies hold durably.
  ASSERT_TRUE(run_until([&] { return node("node1").active_extents() == 0; })) << dump_log();
  crash("node2");
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone; })) << dump_log();
  std::uint64_t written = 0;
  const auto ops = random_writes(rng, 60, written);
  ASSERT_EQ(write_all("node1", ops), static_cast<int>(ops.size()));
  start("node2");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); }, 60)) << dump_log();
  EXPECT_TRUE(node("node1").last_reintegration_fast()) << dump_log();
  EXPECT_TRUE(logged("node2: fast reintegration from node1 begins")) << dump_log();
  EXPECT_FALSE(logged("synchronising (full reintegration)")) << "the target does not know the mode at the meeting";
  const ResyncProgress& resync = node("node1").last_reintegration();
  std::printf("written meanwhile (rounded to blocks) %llu bytes, fast reintegration sent %llu\n",
              static_cast<unsigned long long>(written), static_cast<unsigned long long>(resync.data_bytes_sent));
  EXPECT_GT(resync.data_bytes_sent, 0u);
  EXPECT_LE(resync.data_bytes_sent, 2 * written);
  EXPECT_EQ(resync.checksum_bytes_sent, 0u) << "fast: no block is compared";
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
}

TEST_F(NodeTest, the_crashed_primary_returns_and_the_writes_it_applied_but_never_got_acknowledged_are_overwritten) {
  int seeds_where_the_write_survived_the_crash = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    TwoNodes world(seed);
    world.settle_prim_and_second();
    ASSERT_EQ(world.write_all("node1", {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, std::string(10000, 'o'))}), 2);
    // The replication stream stops reaching node2: the next write lands on node1 only.
    world.cluster_.world().partition("node1", "node2", netsim::Direction::one_way, "flow");
    bool acknowledged = false;
    ASSERT_EQ(world.node("node1").submit(write_op("f", 4096, std::string(3000, 'X')), [&](io::Error e) {
      acknowledged = e == io::Error::ok;
    }), io::Error::ok);
    // node1's own fsync makes it durable there (its ack waits for node2, in vain).
    ASSERT_EQ(world.node("node1").submit({.kind = OpKind::fsync, .path = "f"}, [&](io::Error e) {
      acknowledged = acknowledged || e == io::Error::ok;
    }), io::Error::ok);
    world.cluster_.scheduler().run_for(50 * io::kNsPerMs);
    ASSERT_FALSE(acknowledged) << "node2 never got it";
    world.crash("node1");
    seeds_where_the_write_survived_the_crash += world.disk_text("node1", "/data/f").find('X') != std::string::npos;
    ASSERT_TRUE(world.run_until([&] { return world.node("node2").state() == NodeState::alone; })) << world.dump_log();
    // Long enough for the cut stream to break: its bytes are gone with it.
    world.cluster_.scheduler().run_for(3 * io::kNsPerS);
    world.cluster_.world().heal_all();
    EXPECT_EQ(world.disk_text("node2", "/data/f"), std::string(10000, 'o')) << "every acknowledged write, nothing else";
    ASSERT_EQ(world.write_all("node2", {write_op("f", 0, "new primary")}), 1);
    world.start("node1");
    ASSERT_TRUE(world.run_until([&] { return world.primary_and_synchronised("node2", "node1"); }, 60)) << world.dump_log();
    EXPECT_TRUE(world.node("node2").last_reintegration_fast());
    EXPECT_EQ(world.disk_text("node1", "/data/f"), world.disk_text("node2", "/data/f")) << "seed " << seed;
    EXPECT_EQ(world.replicated_tree("node1"), world.replicated_tree("node2")) << "seed " << seed;
  }
  EXPECT_EQ(seeds_where_the_write_survived_the_crash, 4) << "the unacknowledged write was durable on node1";
}

class NodeAsyncTest : public ::testing::TestWithParam<AsyncMode> {};

TEST_P(NodeAsyncTest, a_secondary_crash_loses_acknowledged_unsynced_writes_and_they_are_sent_again) {
  int seeds_that_lost_data = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    TwoNodes world(seed);
    world.async_mode_ = GetParam();
    world.settle_prim_and_second();
    ASSERT_TRUE(world.run_until([&] { return world.node("node1").active_extents() == 0; })) << world.dump_log();
    io::Prng rng(seed);
    std::uint64_t written = 0;
    const auto ops = random_writes(rng, 30, written);
    ASSERT_EQ(world.write_all("node1", ops), static_cast<int>(ops.size()));
    // Acknowledged, not yet checkpointed: node2's copy of them is not durable.
    const auto before_crash = world.replicated_tree("node1");
    world.crash("node2");
    seeds_that_lost_data += world.replicated_tree("node2") != before_crash;
    ASSERT_TRUE(world.run_until([&] { return world.node("node1").state() == NodeState::alone; })) << world.dump_log();
    world.start("node2");
    ASSERT_TRUE(world.run_until([&] { return world.primary_and_synchronised("node1", "node2"); }, 60)) << world.dump_log();
    EXPECT_TRUE(world.node("node1").last_reintegration_fast());
    EXPECT_EQ(world.replicated_tree("node1"), world.replicated_tree("node2")) << "seed " << seed;
  }
  EXPECT_GT(seeds_that_lost_data, 0) << "the crashes must lose something for this test to mean anything";
}

INSTANTIATE_TEST_SUITE_P(AsyncModes, NodeAsyncTest, ::testing::Values(AsyncMode::none, AsyncMode::second),
                         [](const auto& info) { return info.param == AsyncMode::none ? "async_none" : "async_second"; });

TEST_F(NodeTest, errd_restarts_the_application_up_to_maxloop_then_stops_the_node) {
  with_application_ = true;
  errd_ = ProcessCheckerConfig{.processes = {{.name = "appd", .at_least = 1, .action = ProcessAction::restart}},
                               .poll_interval_ms = 1000, .max_loop = 2, .loop_interval_ms = 3'600'000};
  start("node1");  // alone: no peer within the timeout
  ASSERT_TRUE(run_until([&] { return node("node1").role_state() == PrimaryRole::State::primary; })) << dump_log();
  EXPECT_EQ(start_prim_runs_["node1"], 1);
  for (int restart = 1; restart <= 2; ++restart) {
    cluster_.node("node1").processes().kill_by_name("appd");
    ASSERT_TRUE(run_until([&] { return start_prim_runs_["node1"] == 1 + restart; })) << dump_log();
    ASSERT_TRUE(run_until([&] { return node("node1").role_state() == PrimaryRole::State::primary; })) << dump_log();
    EXPECT_EQ(node("node1").state(), NodeState::alone);
  }
  // The third death within loop_interval is one too many: stop here.
  cluster_.node("node1").processes().kill_by_name("appd");
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::stop; })) << dump_log();
  ASSERT_TRUE(run_until([&] { return !holds_vip("node1"); })) << dump_log();
  EXPECT_EQ(start_prim_runs_["node1"], 3);
  EXPECT_NE(dump_log().find("errd: stopping this node"), std::string::npos) << dump_log();
}

TEST_F(NodeTest, errd_stopstart_hands_the_application_to_the_peer_and_the_node_comes_back_as_secondary) {
  with_application_ = true;
  errd_ = ProcessCheckerConfig{.processes = {{.name = "appd", .at_least = 1, .action = ProcessAction::stopstart}},
                               .poll_interval_ms = 1000};
  settle_prim_and_second();
  ASSERT_TRUE(run_until([&] { return node("node1").role_state() == PrimaryRole::State::primary; })) << dump_log();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "kept"}}), 1);
  cluster_.node("node1").processes().kill_by_name("appd");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1"); }, 60)) << dump_log();
  ASSERT_TRUE(run_until([&] { return holds_vip("node2"); })) << dump_log();
  EXPECT_FALSE(holds_vip("node1"));
  EXPECT_EQ(start_prim_runs_["node2"], 1);
  EXPECT_EQ(disk_text("node2", "/data/kept"), "");
  EXPECT_FALSE(cluster_.vips().first_overlap(kVip)) << "the VIP was never held twice";
}

TEST_F(NodeTest, swap_exchanges_the_roles_without_a_reintegration_and_the_vip_is_never_held_twice) {
  with_application_ = true;
  settle_prim_and_second();
  ASSERT_TRUE(run_until([&] { return holds_vip("node1"); }));
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, "before the swap")}), 2);
  EXPECT_NE(node("node2").swap(), "") << "only the primary hands its role over";
  const std::uint64_t generation = node("node1").generation().current;
  ASSERT_EQ(node("node1").swap(), "");
  EXPECT_EQ(node("node1").submit(write_op("f", 0, "x"), [](io::Error) {}), io::Error::read_only) << "writes refused during a swap";
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1"); })) << dump_log();
  ASSERT_TRUE(run_until([&] { return holds_vip("node2") && node("node2").role_state() == PrimaryRole::State::primary; }))
      << dump_log();
  EXPECT_FALSE(holds_vip("node1"));
  EXPECT_EQ(node("node2").generation().current, generation) << "the same data: no new generation, no reintegration";
  EXPECT_EQ(start_prim_runs_["node2"], 1);
  ASSERT_EQ(write_all("node2", {write_op("f", 0, "after the swap!")}), 1);
  EXPECT_EQ(disk_text("node1", "/data/f"), "after the swap!") << "node1 is node2's secondary now";
  // And back.
  ASSERT_EQ(node("node2").swap(), "");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2") && holds_vip("node1"); })) << dump_log();
  EXPECT_FALSE(cluster_.vips().first_overlap(kVip)) << "the VIP was never held twice";
}

TEST_F(NodeTest, a_clean_stop_of_the_primary_hands_its_role_over_at_once) {
  with_application_ = true;
  settle_prim_and_second();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "f"}}), 1);
  const std::int64_t stopped_at = now_ns();
  bool left = false;
  node("node1").stop([&] { left = true; });
  ASSERT_TRUE(run_until([&] { return left && node("node2").state() == NodeState::alone; })) << dump_log();
  EXPECT_LT(now_ns() - stopped_at, kTimeoutMs * io::kNsPerMs) << "no heartbeat timeout to wait for";
  EXPECT_EQ(node("node1").state(), NodeState::stop);
  ASSERT_TRUE(run_until([&] { return holds_vip("node2"); })) << dump_log();
  EXPECT_FALSE(cluster_.vips().first_overlap(kVip));
}

// Writers keep submitting to whichever node accepts; every acknowledgement is noted
// with its time and node.
struct AckLog {
  std::vector<std::pair<std::int64_t, std::string>> acks;
  std::int64_t last_ack_ns(const std::string& name) const {
    std::int64_t last = -1;
    for (const auto& [at, who] : acks) if (who == name) last = at;
    return last;
  }
  std::int64_t first_ack_ns(const std::string& name, std::int64_t after_ns = 0) const {
    for (const auto& [at, who] : acks) if (who == name && at >= after_ns) return at;
    return -1;
  }
};

void keep_writing(TwoNodes& world, AckLog& log, std::int64_t for_ns) {
  const std::int64_t end = world.now_ns() + for_ns;
  int n = 0;
  while (world.now_ns() < end) {
    for (const std::string name : {"node1", "node2"}) {
      if (!world.nodes_.contains(name)) continue;
      const std::string path = "w" + std::to_string(n++ % 8);
      (void)world.node(name).submit(write_op(path, 0, "x"), [&world, &log, name](io::Error e) {
        if (e == io::Error::ok) log.acks.push_back({world.now_ns(), name});
      });
    }
    world.cluster_.scheduler().run_for(100 * io::kNsPerMs);
  }
}

TEST_F(NodeTest, with_a_witness_a_full_partition_between_the_nodes_leaves_one_primary_which_keeps_acknowledging) {
  settle_with_witness_and_files();
  cluster_.world().partition("node1", "node2");
  AckLog acks;
  keep_writing(*this, acks, 40 * io::kNsPerS);
  EXPECT_EQ(node("node1").state(), NodeState::alone) << dump_log();
  EXPECT_NE(node("node2").state(), NodeState::alone) << "the witness never grants the lease the primary keeps renewing";
  EXPECT_EQ(acks.first_ack_ns("node2"), -1);
  EXPECT_GT(acks.last_ack_ns("node1"), now_ns() - io::kNsPerS) << "the primary kept acknowledging";
  EXPECT_FALSE(cluster_.vips().first_overlap(kVip));
  cluster_.world().heal_all();
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); }, 120)) << dump_log();
  EXPECT_TRUE(node("node1").last_reintegration_fast());
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
}

TEST_F(NodeTest, with_a_witness_an_isolated_primary_stops_before_its_peer_takes_over_never_two_primaries) {
  settle_with_witness_and_files();
  // node1 loses everyone: its peer and the witness.
  cluster_.world().partition("node1", "node2");
  cluster_.world().partition("node1", "witness");
  AckLog acks;
  keep_writing(*this, acks, 60 * io::kNsPerS);
  EXPECT_EQ(node("node1").state(), NodeState::wait) << dump_log();
  EXPECT_EQ(node("node2").state(), NodeState::alone) << dump_log();
  EXPECT_TRUE(holds_vip("node2"));
  EXPECT_FALSE(holds_vip("node1"));
  const std::int64_t node1_last = acks.last_ack_ns("node1");
  const std::int64_t node2_first = acks.first_ack_ns("node2");
  ASSERT_GT(node2_first, 0);
  EXPECT_LT(node1_last, node2_first) << "acknowledged by both at once";
  std::printf("node1 acknowledged until %.3f s, node2 from %.3f s\n", node1_last / 1e9, node2_first / 1e9);
  EXPECT_FALSE(cluster_.vips().first_overlap(kVip)) << sim::to_string(*cluster_.vips().first_overlap(kVip));
}

// Seed 55793: the isolated PRIM's link broke while it still held the lease, so it went on
// alone in a new generation; the witness it could not reach never recorded it, so it
// acknowledged nothing before it was fenced. node2 took over and served. When the
// network heals that is no split brain: node1 becomes node2's secondary, fast.
TEST_F(NodeTest, seed_55793_a_primary_fenced_before_it_acknowledged_anything_alone_is_no_split_brain) {
  settle_with_witness_and_files();
  cluster_.world().partition("node1", "node2");
  cluster_.world().partition("node1", "witness");
  AckLog acks;
  keep_writing(*this, acks, 60 * io::kNsPerS);
  ASSERT_NE(dump_log().find("node1: PRIM -> ALONE"), std::string::npos) << "the scenario needs node1 alone" << dump_log();
  ASSERT_EQ(node("node2").state(), NodeState::alone) << dump_log();
  ASSERT_GT(acks.first_ack_ns("node2"), 0);
  const std::int64_t healed = now_ns();
  cluster_.world().heal_all();
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1"); }, 120)) << dump_log();
  EXPECT_EQ(dump_log().find("SPLIT BRAIN"), std::string::npos) << dump_log();
  EXPECT_TRUE(node("node2").last_reintegration_fast());
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
  std::printf("node2 PRIM with node1 synchronised %.3f s after the heal\n", (now_ns() - healed) / 1e9);
}

// A real split brain with a witness: node1 served alone while node2 was stopped, then
// node2's primforce made it serve its older copy. node2, ALONE, renews the lease for
// good, so the admin's prim on node1 cannot wait for that lease (seed 55793's runner
// prim waited forever): node2 steps down, gives the lease up, and is overwritten.
TEST_F(NodeTest, prim_on_the_waiting_side_of_a_split_brain_takes_the_role_from_the_peer_holding_the_lease) {
  make_split_brain_with_witness();
  ASSERT_EQ(node("node1").prim(false), "");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); }, 120)) << dump_log();
  EXPECT_FALSE(node("node1").last_reintegration_fast()) << "a resolved divergence is compared in full";
  EXPECT_EQ(disk_text("node2", "/data/right"), "<missing>") << "the loser's write is gone";
  EXPECT_EQ(disk_text("node2", "/data/left"), "");
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
  EXPECT_FALSE(cluster_.vips().first_overlap(kVip));
}

// The same split brain, node2 gone before the admin chose node1: the witness recorded
// node2's generation, which node1's record now discards, so it grants node1 the lease.
TEST_F(NodeTest, prim_on_a_split_brain_side_whose_peer_is_gone_gets_the_lease_the_peer_held) {
  make_split_brain_with_witness();
  node("node2").stop();
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::stop; })) << dump_log();
  ASSERT_EQ(node("node1").prim(false), "");
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone; }, 60)) << dump_log();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "after"}}), 1) << dump_log();
  EXPECT_FALSE(cluster_.vips().first_overlap(kVip));
}

// node1 served alone while node2 was stopped, then node2's primforce made it serve its
// older copy: a real split brain, with the witness holding node2's generation.
void TwoNodes::make_split_brain_with_witness() {
  settle_with_witness_and_files();
  node("node2").stop();
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone; }, 60)) << dump_log();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "left"}}), 1) << dump_log();
  node("node1").stop();
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::stop; })) << dump_log();
  node("node2").start();
  // Before its records are read, a node takes no admin command (it once went ALONE
  // with no activity record loaded, and its first write failed an assertion).
  EXPECT_NE(node("node2").prim(true).find("starting"), std::string::npos);
  EXPECT_NE(node("node2").second().find("starting"), std::string::npos);
  ASSERT_TRUE(run_until([&] { return node("node2").state_reason().find("waiting for") != std::string::npos; }, 60))
      << dump_log();
  ASSERT_EQ(node("node2").prim(true), "");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; }, 60)) << dump_log();
  ASSERT_EQ(write_all("node2", {{.kind = OpKind::create, .path = "right"}}), 1) << dump_log();
  node("node1").start();
  ASSERT_TRUE(run_until([&] { return node("node1").state_reason().find("SPLIT BRAIN") != std::string::npos; }, 60))
      << dump_log();
  ASSERT_EQ(node("node2").state(), NodeState::alone);
}

// Found by the e2e link cut: the cut-off PRIM's replication link is a half-open TCP
// connection for as long as the kernel keeps it; the PRIM kept its VIP after its lease
// ran out, and both nodes held it once the peer was granted the lease.
TEST(NodeWitnessHalfOpen, a_cut_off_primary_whose_lease_runs_out_fences_at_once_even_with_a_half_open_link) {
  netsim::Options slow_tcp = network_options();
  slow_tcp.stream_break_timeout_ns = 600 * io::kNsPerS;
  TwoNodes world(7, slow_tcp);
  world.settle_with_witness_and_files();
  world.cluster_.world().partition("node1", "node2");
  world.cluster_.world().partition("node1", "witness");
  ASSERT_TRUE(world.run_until([&] { return world.node("node2").state() == NodeState::alone; }, 60)) << world.dump_log();
  EXPECT_EQ(world.node("node1").state(), NodeState::wait) << world.dump_log();
  EXPECT_FALSE(world.holds_vip("node1"));
  EXPECT_TRUE(world.holds_vip("node2"));
  EXPECT_FALSE(world.cluster_.vips().first_overlap(kVip)) << sim::to_string(*world.cluster_.vips().first_overlap(kVip));
}

TEST_F(NodeTest, with_a_witness_a_frozen_primary_that_resumes_after_losing_its_lease_acknowledges_nothing) {
  add_witness();
  start("node1");
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone && node("node1").holds_lease(); }, 60))
      << dump_log();
  // The file's extent is active already: the next write goes to the disk at once.
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "f"}, write_op("f", 0, "before the stall")}), 2);
  // The VM stalls with a write just submitted (its disk completion is held with the
  // rest); it resumes long after its lease ended.
  bool answered = false;
  io::Error result = io::Error::ok;
  ASSERT_EQ(node("node1").submit(write_op("f", 0, "after the stall"), [&](io::Error e) {
    answered = true;
    result = e;
  }), io::Error::ok);
  cluster_.node("node1").freeze();
  cluster_.scheduler().run_for(30 * io::kNsPerS);
  EXPECT_FALSE(answered);
  cluster_.node("node1").thaw();
  ASSERT_TRUE(run_until([&] { return answered; })) << dump_log();
  EXPECT_NE(result, io::Error::ok) << "acknowledged after the lease ran out";
  EXPECT_EQ(node("node1").state(), NodeState::wait);
}

// Seed 74 of the runner: after a swap the old primary kept renewing the lease as a
// secondary, so the new primary never got it, and when the old one later took over it
// was granted at once (a "renewal"), with the new primary still holding the VIP.
// Seed 11912 (a crash of the runner): a PRIM stopping, its handover stuck on a frozen
// secondary it no longer heard, froze past its lease's end. Thawed, its lease client's
// renewal tick found the lease over; the node, told so, fenced (the link failed), which
// abandoned the stopping handover and stopped the node -- destroying the lease client
// inside its own tick, which then went on with freed memory.
TEST_F(NodeTest, seed_11912_a_stop_from_inside_the_lease_clients_callback_leaves_it_whole) {
  settle_with_witness_and_files();
  cluster_.node("node2").freeze();
  bool stopped = false;
  node("node1").stop([&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return logged("node1: peer node2 is down"); })) << dump_log();
  ASSERT_TRUE(node("node1").holds_lease()) << "renewed while the heartbeats fell silent";
  ASSERT_FALSE(stopped) << "the handover waits for node2";
  cluster_.world().partition("node1", "witness");
  cluster_.node("node1").freeze();
  cluster_.scheduler().run_for(30 * io::kNsPerS);
  cluster_.node("node1").thaw();
  ASSERT_TRUE(run_until([&] { return stopped; })) << dump_log();
  EXPECT_EQ(node("node1").state(), NodeState::stop);
  EXPECT_TRUE(logged("node1: handover abandoned: the replication link was lost")) << dump_log();
  EXPECT_FALSE(holds_vip("node1"));
}

// Seed 9665: a meeting chose node1 (a fenced primary) to reintegrate node2, and node1
// waited for the witness's lease; node2 marked its copy inconsistent on disk at once.
// node1 lost power before it had made its copy durable, taking writes acknowledged
// while the two were paired with it -- and node2, which held them intact, had marked
// itself the copy to overwrite. A target is durably inconsistent only from the
// source's first frame, sent once the source's copy is durable.
TEST_F(NodeTest, seed_9665_a_reintegration_source_that_crashes_before_it_began_leaves_the_target_its_data) {
  settle_with_witness_and_files();
  cluster_.world().partition("node1", "witness");
  cluster_.world().partition("node2", "witness");
  ASSERT_TRUE(run_until([&] { return !node("node1").holds_lease(); }, 30)) << dump_log();
  // Acknowledged by both copies, durable on neither.
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "paired"}, write_op("paired", 0, "acknowledged")}), 2);
  cluster_.world().partition("node1", "node2", netsim::Direction::both, "flow");
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::wait; })) << dump_log();
  const std::size_t healed_at_line = log_.size();
  cluster_.world().heal("node1", "node2");
  ASSERT_TRUE(run_until([&] { return node("node2").state_reason().find("synchronising") != std::string::npos; }))
      << dump_log();
  ASSERT_EQ(node("node1").state(), NodeState::wait);
  ASSERT_NE(node("node1").state_reason().find("reintegrating node2; waiting for the witness lease"), std::string::npos)
      << node("node1").state_reason();
  run_until([] { return false; }, 2);
  const bool began = std::any_of(log_.begin() + static_cast<std::ptrdiff_t>(healed_at_line), log_.end(), [](const std::string& line) {
    return line.starts_with("node1: reintegration of node2 begins");
  });
  ASSERT_FALSE(began) << "the source waits for the lease\n" << dump_log();
  crash("node1");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::wait; })) << dump_log();
  EXPECT_TRUE(node("node2").generation().consistent) << "nothing was sent: node2's copy is as it was";
  cluster_.world().heal("node1", "witness");
  cluster_.world().heal("node2", "witness");
  start("node1");
  ASSERT_TRUE(run_until([&] {
    return primary_and_synchronised("node2", "node1") || primary_and_synchronised("node1", "node2");
  }, 120)) << dump_log();
  EXPECT_EQ(disk_text("node1", "/data/paired"), "acknowledged") << dump_log();
  EXPECT_EQ(disk_text("node2", "/data/paired"), "acknowledged");
}

TEST_F(NodeTest, with_a_witness_a_swap_hands_the_lease_to_the_new_primary_too) {
  settle_with_witness_and_files();
  ASSERT_EQ(node("node1").swap(), "");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1"); })) << dump_log();
  EXPECT_FALSE(node("node1").holds_lease()) << "a secondary leaves the lease to its primary";
  ASSERT_TRUE(run_until([&] { return node("node2").holds_lease(); }, 60)) << dump_log();
  // The new primary is cut from its secondary (one way: it still hears node1's
  // heartbeats): it holds the lease, so it goes on alone and node1 never takes over.
  cluster_.world().partition("node2", "node1", netsim::Direction::one_way);
  AckLog acks;
  keep_writing(*this, acks, 60 * io::kNsPerS);
  EXPECT_EQ(node("node2").state(), NodeState::alone) << dump_log();
  EXPECT_FALSE(core::is_primary(node("node1").state())) << dump_log();
  EXPECT_GT(acks.first_ack_ns("node2"), 0);
  EXPECT_FALSE(cluster_.vips().first_overlap(kVip)) << sim::to_string(*cluster_.vips().first_overlap(kVip));
}

// Seed 7231, with a witness: node1 stopped and handed its role to node2, which waited
// for the lease; granted it, node2 began recording its alone generation, and node1,
// restarted meanwhile, met it. The meeting made node2 the one to be reintegrated
// (node1 is defaultprim), but the recording went on and node2 became ALONE with the
// lease, while node1, primary by that meeting, waited for the lease for good. The
// meeting decides the roles: a going alone under way is abandoned.
TEST_F(NodeTest, seed_7231_a_meeting_abandons_a_going_alone_whose_generation_is_being_recorded) {
  slow_disk("node2");
  policy_ = ClusterPolicy{.default_prim = DefaultPrim::node, .default_prim_node = "node1"};
  settle_with_witness_and_files();
  slow_disk("node2").set_options({.sync_latency_min_ns = 2 * io::kNsPerS, .sync_latency_max_ns = 2 * io::kNsPerS});
  bool left = false;
  node("node1").stop([&] { left = true; });
  ASSERT_TRUE(run_until([&] { return left && node("node2").state() == NodeState::wait; })) << dump_log();
  ASSERT_TRUE(run_until([&] { return logged("node2: this copy is durable: recording a new data generation"); }, 60))
      << dump_log();
  node("node1").start();
  ASSERT_TRUE(run_until([&] { return logged("node2: met node1"); })) << dump_log();
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); }, 60)) << dump_log();
  EXPECT_FALSE(ever_in("node2", NodeState::alone)) << dump_log();
  EXPECT_TRUE(logged("node2: going alone abandoned")) << dump_log();
}

// Found by hand with two daemons: after `hamirror stop` and `start`, a fast
// reintegration resent a whole 20 MiB file for 40 KiB written, because the record on
// disk still listed extents retired in memory long before.
TEST_F(NodeTest, extents_durable_on_both_copies_leave_the_activity_record_on_disk_too) {
  settle_prim_and_second();
  for (int i = 0; i < 4; ++i) {
    const std::string path = "f" + std::to_string(i);
    ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = path}, write_op(path, 0, "some bytes")}), 2);
  }
  ASSERT_GT(node("node1").active_extents(), 0u);
  ASSERT_TRUE(run_until([&] { return node("node1").active_extents() == 0; })) << dump_log();
  cluster_.scheduler().run_for(100 * io::kNsPerMs);  // the rewrite of the record
  ActivityLog on_disk(cluster_.node("node1").io().fs, std::string(kStateDir) + "/activity", {}, [](std::string_view) {});
  std::optional<LoadedActivity> loaded;
  on_disk.load(true, [&](LoadedActivity result) { loaded = std::move(result); });
  ASSERT_TRUE(run_until([&] { return loaded.has_value(); })) << dump_log();
  EXPECT_EQ(loaded->state, RecordState::loaded);
  EXPECT_EQ(loaded->entries, 0u) << "a restart would count these extents as changed";
}

TEST_F(NodeTest, with_failover_off_the_secondary_never_takes_over_by_itself) {
  settle_prim_and_second();
  node("node2").set_failover(false);
  crash("node1");
  run_until([&] { return false; }, 10);
  EXPECT_EQ(node("node2").state(), NodeState::wait) << dump_log();
  EXPECT_FALSE(ever_in("node2", NodeState::alone));
  EXPECT_NE(node("node2").state_reason().find("failover is off"), std::string::npos) << node("node2").state_reason();
  EXPECT_EQ(node("node2").prim(false), "") << "the admin still can";
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; }));
}

TEST_F(NodeTest, defaultprim_names_a_node_the_role_goes_back_to_it_once_it_is_synchronised_again) {
  with_application_ = true;
  policy_ = ClusterPolicy{.default_prim = DefaultPrim::node, .default_prim_node = "node2"};
  settle_prim_and_second_with("node2", "node1");
  crash("node2");
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone; })) << dump_log();
  ASSERT_EQ(write_all("node1", {{.kind = OpKind::create, .path = "while_away"}}), 1);
  start("node2");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1") && holds_vip("node2"); }, 60)) << dump_log();
  EXPECT_EQ(disk_text("node2", "/data/while_away"), "");
  EXPECT_FALSE(cluster_.vips().first_overlap(kVip));
}

TEST_F(NodeTest, second_on_one_side_of_a_split_brain_gives_the_other_side_the_role_and_this_side_is_overwritten) {
  ASSERT_NO_FATAL_FAILURE(make_split_brain());
  ASSERT_EQ(node("node1").second(), "");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node2", "node1"); }, 60)) << dump_log();
  EXPECT_EQ(disk_text("node1", "/data/left"), "<missing>");
  EXPECT_EQ(disk_text("node1", "/data/right"), "");
  EXPECT_EQ(replicated_tree("node1"), replicated_tree("node2"));
}

TEST_F(NodeTest, a_secondary_whose_state_was_wiped_is_fully_reintegrated_sending_only_the_blocks_that_differ) {
  settle_prim_and_second();
  std::vector<FileOp> ops = {{.kind = OpKind::create, .path = "big"}};
  for (int i = 0; i < 64; ++i) {
    ops.push_back(write_op("big", static_cast<std::uint64_t>(i) * 65536, std::string(65536, static_cast<char>('a' + i % 26))));
  }
  ASSERT_EQ(write_all("node1", ops), 65);
  ASSERT_TRUE(run_until([&] { return node("node1").active_extents() == 0; })) << dump_log();
  crash("node2");
  // A reinstalled node: its state is gone, its data mostly still there, two blocks off.
  auto& disk = cluster_.node("node2").disk();
  for (const char* name : {"generation", "activity", "dirty"}) {
    bool removed = false;
    disk.unlink(std::string(kStateDir) + "/" + name, [&](io::Error) { removed = true; });
    ASSERT_TRUE(run_until([&] { return removed; }));
  }
  io::Bytes data = *disk.contents("/data/big");
  data[5 * 4096] ^= 0xff;
  data[700 * 4096 + 17] ^= 0xff;
  disk.install_file("/data/big", data);
  ASSERT_TRUE(run_until([&] { return node("node1").state() == NodeState::alone; })) << dump_log();
  ASSERT_EQ(write_all("node1", {write_op("big", 100 * 4096, "meanwhile")}), 1);
  start("node2");
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); }, 60)) << dump_log();
  const ResyncProgress& resync = node("node1").last_reintegration();
  EXPECT_FALSE(node("node1").last_reintegration_fast());
  std::printf("full reintegration of a 4 MiB file with 3 blocks differing: %llu data bytes sent\n",
              static_cast<unsigned long long>(resync.data_bytes_sent));
  EXPECT_LE(resync.data_bytes_sent, 3 * kResyncBlockBytes);
  EXPECT_GE(resync.data_bytes_sent, 2 * kResyncBlockBytes);
  EXPECT_EQ(disk_text("node1", "/data/big"), disk_text("node2", "/data/big"));
}

TEST_F(NodeTest, with_the_same_generation_the_copy_that_stopped_cleanly_wins_over_the_one_that_crashed) {
  settle_prim_and_second();
  ASSERT_TRUE(run_until([&] { return node("node1").active_extents() == 0; })) << dump_log();
  std::vector<FileOp> ops = {{.kind = OpKind::create, .path = "f"}};
  for (int i = 0; i < 8; ++i) ops.push_back(write_op("f", static_cast<std::uint64_t>(i) * 4096, std::string(4096, 'k')));
  ASSERT_EQ(write_all("node1", ops), 9);
  // The secondary loses power (its unsynced copy of those writes with it); the primary
  // is stopped cleanly at once, before it could go on alone: one generation, two copies.
  crash("node2");
  bool stopped = false;
  node("node1").stop([&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return stopped; })) << dump_log();
  start("node2");
  node("node1").start();
  ASSERT_TRUE(run_until([&] { return primary_and_synchronised("node1", "node2"); }, 60)) << dump_log();
  EXPECT_EQ(disk_text("node2", "/data/f"), std::string(8 * 4096, 'k')) << "every acknowledged write survived";
  EXPECT_NE(dump_log().find("node2 crashed: the copy that did not crash"), std::string::npos) << dump_log();
}

TEST_F(NodeTest, a_primary_that_handed_its_role_over_and_stopped_never_comes_back_alone_on_its_own) {
  settle_prim_and_second();
  bool left = false;
  node("node1").stop([&] { left = true; });
  ASSERT_TRUE(run_until([&] { return left && node("node2").state() == NodeState::alone; })) << dump_log();
  ASSERT_EQ(write_all("node2", {{.kind = OpKind::create, .path = "only_on_node2"}}), 1);
  node("node2").stop();
  node("node1").start();
  run_until([&] { return false; }, 5);
  EXPECT_EQ(node("node1").state(), NodeState::wait) << dump_log();
  EXPECT_NE(node("node1").state_reason().find("outdated"), std::string::npos) << node("node1").state_reason();
}

TEST_F(NodeTest, the_same_seed_gives_the_same_trace) {
  settle_prim_and_second();
  crash("node1");
  ASSERT_TRUE(run_until([&] { return node("node2").state() == NodeState::alone; }));
  const std::uint64_t first = cluster_.trace().hash();
  TwoNodes again;  // a second world from the same seed
  again.settle_prim_and_second();
  again.crash("node1");
  ASSERT_TRUE(again.run_until([&] { return again.node("node2").state() == NodeState::alone; }));
  EXPECT_EQ(first, again.cluster_.trace().hash());
}

}  // namespace
}  // namespace hamirror::core
