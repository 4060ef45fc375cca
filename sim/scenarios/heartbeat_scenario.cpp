#include "sim/scenarios/heartbeat_scenario.h"

#include <map>
#include <memory>
#include <vector>

#include "core/peer_monitor.h"
#include "io/assert.h"
#include "io/atomic_file.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::sim {
namespace {

constexpr std::uint16_t kHeartbeatPort = 4800;
constexpr const char* kStateDir = "/var/lib/hamirror";
constexpr const char* kStateFile = "/var/lib/hamirror/peer-state";

struct NodeSetup {
  const char* name;
  const char* peer;
  const char* default_host;
  const char* flow_host;
  const char* peer_default_host;
  const char* peer_flow_host;
};

constexpr NodeSetup kNodes[] = {
    {"node1", "node2", "192.168.1.10", "10.1.0.10", "192.168.1.20", "10.1.0.20"},
    {"node2", "node1", "192.168.1.20", "10.1.0.20", "192.168.1.10", "10.1.0.10"},
};

std::string pad_left(std::string text, std::size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

class Scenario {
 public:
  explicit Scenario(const HeartbeatScenarioOptions& options) : options_(options), cluster_(options.seed) {
    // A LAN with a little jitter and loss, drawn from the seed like everything else.
    netsim::LinkOptions link;
    link.latency_min_ns = 100 * io::kNsPerUs;
    link.latency_mean_ns = link.latency_min_ns + cluster_.prng().between(0, 400) * io::kNsPerUs;
    link.jitter_ns = cluster_.prng().between(0, 200) * io::kNsPerUs;
    link.loss_probability = static_cast<double>(cluster_.prng().below(5)) / 100.0;
    cluster_.world().set_default_link(link);
    for (const auto& node : kNodes) {
      auto& sim_node = cluster_.add_node({.name = node.name, .hosts = {{"default", node.default_host}, {"flow", node.flow_host}}});
      sim_node.disk().install_directory(kStateDir);
      state_files_.emplace(node.name, std::make_unique<io::AtomicFile>(sim_node.io().fs, kStateFile));
    }
    say("cluster", "seed " + std::to_string(options.seed) + ", link loss " +
                       std::to_string(static_cast<int>(link.loss_probability * 100)) + "%, pulse " +
                       std::to_string(options.pulse_ms) + " ms, timeout " + std::to_string(options.timeout_ms) + " ms");
  }

  HeartbeatScenarioResult run() {
    for (const auto& node : kNodes) start_monitor(node);
    at_second(10, "cut the 'default' heartbeat network; 'flow' still carries heartbeats",
              [this] { cluster_.world().partition("node1", "node2", netsim::Direction::both, "default"); });
    at_second(20, "cut the 'flow' network too: the nodes can no longer hear each other",
              [this] { cluster_.world().partition("node1", "node2", netsim::Direction::both, "flow"); });
    at_second(35, "heal every network", [this] { cluster_.world().heal_all(); });
    at_second(45, "power cut on both nodes: unsynced data is lost, synced state files must survive", [this] {
      monitors_.clear();
      for (const auto& node : kNodes) cluster_.node(node.name).disk().crash();
    });
    cluster_.scheduler().run_for(46 * io::kNsPerS);
    check_state_files();
    result_.trace_hash = cluster_.trace().hash();
    result_.events_run = cluster_.scheduler().events_run();
    result_.simulated_ns = cluster_.scheduler().now_ns();
    return result_;
  }

 private:
  void say(const std::string& who, const std::string& what) {
    cluster_.trace().record(cluster_.scheduler().now_ns(), who, what);
    if (options_.narrate) options_.narrate(pad_left(format_time(cluster_.scheduler().now_ns()), 8) + "  " + who + ": " + what);
  }

  void at_second(int second, std::string what, std::function<void()> action) {
    cluster_.scheduler().at(second * io::kNsPerS, [this, what = std::move(what), action = std::move(action)] {
      say("test", what);
      action();
    });
  }

  void start_monitor(const NodeSetup& node) {
    core::PeerMonitorConfig config{
        .node_name = node.name,
        .peer_name = node.peer,
        .networks = {{"default", {node.default_host, kHeartbeatPort}, {node.peer_default_host, kHeartbeatPort}},
                     {"flow", {node.flow_host, kHeartbeatPort}, {node.peer_flow_host, kHeartbeatPort}}},
        .pulse_ms = options_.pulse_ms,
        .timeout_ms = options_.timeout_ms};
    const std::string name = node.name;
    core::PeerMonitor::Listener listener{
        .on_network_change =
            [this, name](const std::string& network, bool up, const std::string& reason) {
              say(name, "network '" + network + "' " + (up ? "up" : "down") + " (" + reason + ")");
            },
        .on_peer_change =
            [this, name](bool up, const std::string& reason) {
              ++(up ? result_.peer_up_reports : result_.peer_down_reports);
              say(name, std::string(up ? "peer is UP (" : "peer is DOWN (") + reason + ")");
              persist(name, up ? "peer up" : "peer down");
            }};
    auto monitor = std::make_unique<core::PeerMonitor>(cluster_.node(name).io(), config, std::move(listener));
    HM_ASSERT(monitor->start() == io::Error::ok);
    monitors_[name] = std::move(monitor);
  }

  void persist(const std::string& node, const std::string& state) {
    last_written_[node] = state;
    const io::Error queued = state_files_.at(node)->write(io::as_bytes(state), [this, node, state](io::Error error) {
      if (error == io::Error::ok) last_durable_[node] = state;
      say(node, "state file '" + state + "' " + (error == io::Error::ok ? "durable" : std::string(io::error_name(error))));
    });
    HM_ASSERT(queued == io::Error::ok);  // one change per timeout at most: the queue never fills
  }

  // After the power cut each state file must hold a state that was durable, and be
  // one of the states ever written: never a mix of two.
  void check_state_files() {
    bool all_good = true;
    for (const auto& node : kNodes) {
      const auto contents = cluster_.node(node.name).disk().contents(kStateFile);
      const std::string text = contents ? std::string(contents->begin(), contents->end()) : "<missing>";
      const bool good = contents && (text == last_durable_[node.name] || text == last_written_[node.name]);
      all_good &= good;
      say(node.name, "after the power cut the state file reads '" + text + "'" + (good ? "" : " — WRONG"));
    }
    result_.state_files_survived_crash = all_good;
  }

  HeartbeatScenarioOptions options_;
  SimCluster cluster_;
  std::map<std::string, std::unique_ptr<io::AtomicFile>> state_files_;
  std::map<std::string, std::unique_ptr<core::PeerMonitor>> monitors_;
  std::map<std::string, std::string> last_written_;
  std::map<std::string, std::string> last_durable_;
  HeartbeatScenarioResult result_;
};

}  // namespace

HeartbeatScenarioResult run_heartbeat_scenario(const HeartbeatScenarioOptions& options) {
  return Scenario(options).run();
}

}  // namespace hamirror::sim
