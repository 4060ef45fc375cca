// Two core::Node on one real libuv loop, real sockets on 127.0.0.1 and real temporary
// directories: writes submitted on the primary end up byte for byte on the secondary,
// a secondary stopped while the primary wrote comes back by a fast reintegration, and
// one whose state and data were wiped by a full one. (The daemon maps configuration
// files to exactly this core::NodeConfig shape: node_mapping_test.cpp.)
#include <gtest/gtest.h>
#include <uv.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "core/node/node.h"
#include "tests/daemon/free_port.h"
#include "uv/uv_backend.h"

namespace hamirror::test {
namespace {

namespace fs = std::filesystem;
using core::NodeState;

constexpr std::int64_t kSettleMs = 20'000;

struct OwnedLoop {
  OwnedLoop() { uv_loop_init(&loop); }
  ~OwnedLoop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
  uv_loop_t loop;
};

// Every regular file under root, relative path -> contents.
std::map<std::string, std::string> tree(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    files[fs::relative(entry.path(), root).generic_string()] = bytes.str();
  }
  return files;
}

class TwoNodesOnOneLoop : public ::testing::Test {
 protected:
  TwoNodesOnOneLoop() : backend_(&owned_.loop), io_(backend_.io()) {
    std::random_device random;  // test scaffolding only: a unique scratch directory
    scratch_ = fs::temp_directory_path() / ("hamirror-two-nodes-" + std::to_string(random()));
    for (const std::string name : {"node1", "node2"}) {
      heartbeat_ports_[name] = free_udp_port();
      replication_ports_[name] = free_tcp_port();
      fs::create_directories(data(name));
      fs::create_directories(state(name));
    }
  }
  ~TwoNodesOnOneLoop() override {
    if (HasFailure()) {
      for (const auto& line : log_) std::printf("%s\n", line.c_str());
    }
    for (auto& [name, node] : nodes_) {
      if (node) node->stop();
    }
    backend_.run_until([&] { return false; }, 200);  // the stops' last I/O
    nodes_.clear();
    std::error_code ignored;
    fs::remove_all(scratch_, ignored);
  }

  fs::path data(const std::string& name) const { return scratch_ / name / "data"; }
  fs::path state(const std::string& name) const { return scratch_ / name / "state"; }

  core::NodeConfig config_for(const std::string& name) {
    const std::string peer = name == "node1" ? "node2" : "node1";
    return core::NodeConfig{
        .name = name,
        .peer = peer,
        .heartbeat_networks = {{"default", {"127.0.0.1", heartbeat_ports_[name]}, {"127.0.0.1", heartbeat_ports_[peer]}}},
        .pulse_ms = 100,
        .timeout_ms = 1500,
        .replication_local = {"127.0.0.1", replication_ports_[name]},
        .replication_peer = {"127.0.0.1", replication_ports_[peer]},
        .roots = {data(name).string()},
        .state_dir = state(name).string(),
    };
  }

  // A new incarnation, as a restarted daemon builds it.
  void start(const std::string& name) {
    nodes_[name] = std::make_unique<core::Node>(
        io_, config_for(name),
        core::Node::Listener{.on_state_change = [this, name](NodeState from, NodeState to, const std::string& reason) {
                               log_.push_back(name + ": " + std::string(core::node_state_name(from)) + " -> " +
                                              std::string(core::node_state_name(to)) + ": " + reason);
                             },
                             .on_log = [this, name](const std::string& line) { log_.push_back(name + ": " + line); }});
    nodes_[name]->start();
  }
  void stop(const std::string& name) {
    bool left = false;
    nodes_[name]->stop([&] { left = true; });
    ASSERT_TRUE(backend_.run_until([&] { return left; }, kSettleMs)) << name << " did not stop";
    nodes_.erase(name);
  }
  core::Node& node(const std::string& name) { return *nodes_.at(name); }

  bool prim_and_synchronised(const std::string& primary, const std::string& secondary) {
    return nodes_.contains(primary) && nodes_.contains(secondary) && node(primary).state() == NodeState::prim &&
           node(secondary).synchronised() && !node(primary).reintegration_progress();
  }
  // Which node settled as primary.
  std::string settle() {
    const bool settled = backend_.run_until(
        [&] { return prim_and_synchronised("node1", "node2") || prim_and_synchronised("node2", "node1"); }, kSettleMs);
    if (!settled) return {};
    return node("node1").state() == NodeState::prim ? "node1" : "node2";
  }

  // Creates `file` and writes `count` blocks of distinct bytes; waits for every ack.
  void write_file(const std::string& on, const std::string& file, int count, char seed) {
    int acknowledged = 0;
    int failed = 0;
    auto done = [&](io::Error error) { error == io::Error::ok ? ++acknowledged : ++failed; };
    ASSERT_EQ(node(on).submit({.kind = core::OpKind::create, .path = file}, done), io::Error::ok);
    for (int i = 0; i < count; ++i) {
      core::FileOp write{.kind = core::OpKind::write, .path = file, .offset = static_cast<std::uint64_t>(i) * 4096};
      write.data = io::Bytes(4096, static_cast<std::uint8_t>(seed + i));
      ASSERT_EQ(node(on).submit(std::move(write), done), io::Error::ok);
    }
    ASSERT_TRUE(backend_.run_until([&] { return acknowledged + failed == count + 1; }, kSettleMs));
    EXPECT_EQ(failed, 0);
  }

  OwnedLoop owned_;
  uv::UvBackend backend_;
  io::Io io_;
  fs::path scratch_;
  std::map<std::string, std::uint16_t> heartbeat_ports_;
  std::map<std::string, std::uint16_t> replication_ports_;
  std::map<std::string, std::unique_ptr<core::Node>> nodes_;
  std::vector<std::string> log_;
};

TEST_F(TwoNodesOnOneLoop, writes_on_the_primary_reach_the_secondary_byte_for_byte) {
  start("node1");
  start("node2");
  const std::string primary = settle();
  ASSERT_FALSE(primary.empty()) << "no PRIM with a synchronised SECOND";
  const std::string secondary = primary == "node1" ? "node2" : "node1";
  write_file(primary, "a.bin", 16, 'a');
  write_file(primary, "b.bin", 3, 'b');
  EXPECT_EQ(tree(data(primary)).size(), 2u);
  EXPECT_EQ(tree(data(primary)), tree(data(secondary)));
  EXPECT_EQ(node(secondary).submit({.kind = core::OpKind::create, .path = "x"}, [](io::Error) {}), io::Error::read_only);
}

TEST_F(TwoNodesOnOneLoop, a_secondary_stopped_while_the_primary_wrote_returns_by_a_fast_reintegration) {
  start("node1");
  start("node2");
  const std::string primary = settle();
  ASSERT_FALSE(primary.empty());
  const std::string secondary = primary == "node1" ? "node2" : "node1";
  write_file(primary, "before.bin", 4, 'p');
  stop(secondary);
  ASSERT_TRUE(backend_.run_until([&] { return node(primary).state() == NodeState::alone; }, kSettleMs));
  write_file(primary, "during.bin", 8, 'd');
  write_file(primary, "before.bin", 2, 'q');
  EXPECT_NE(tree(data(primary)), tree(data(secondary)));
  start(secondary);
  ASSERT_EQ(settle(), primary);
  EXPECT_TRUE(node(primary).last_reintegration_fast());
  EXPECT_EQ(tree(data(primary)), tree(data(secondary)));
}

TEST_F(TwoNodesOnOneLoop, a_secondary_whose_state_and_data_were_wiped_returns_by_a_full_reintegration) {
  start("node1");
  start("node2");
  const std::string primary = settle();
  ASSERT_FALSE(primary.empty());
  const std::string secondary = primary == "node1" ? "node2" : "node1";
  write_file(primary, "kept.bin", 8, 'k');
  stop(secondary);
  fs::remove_all(state(secondary));
  fs::remove_all(data(secondary));
  fs::create_directories(state(secondary));
  fs::create_directories(data(secondary));
  ASSERT_TRUE(backend_.run_until([&] { return node(primary).state() == NodeState::alone; }, kSettleMs));
  write_file(primary, "later.bin", 4, 'l');
  start(secondary);
  ASSERT_EQ(settle(), primary);
  EXPECT_FALSE(node(primary).last_reintegration_fast());
  EXPECT_GT(node(primary).last_reintegration().data_bytes_sent, 0u);
  EXPECT_EQ(tree(data(primary)).size(), 2u);
  EXPECT_EQ(tree(data(primary)), tree(data(secondary)));
}

}  // namespace
}  // namespace hamirror::test
