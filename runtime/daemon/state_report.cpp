#include "daemon/state_report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <toml++/toml.h>

namespace hamirror::daemon {

int ReintegrationReport::percent() const {
  if (bytes_total == 0) return 0;
  return static_cast<int>(bytes_done * 100 / bytes_total);
}

std::optional<std::uint64_t> ReintegrationReport::eta_s() const {
  if (rate_bytes_per_s == 0) return std::nullopt;
  const std::uint64_t left = bytes_total > bytes_done ? bytes_total - bytes_done : 0;
  return (left + rate_bytes_per_s - 1) / rate_bytes_per_s;
}

std::string format_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1000.0 && unit + 1 < std::size(units)) {
    value /= 1000.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

std::string format_duration(std::uint64_t seconds) {
  if (seconds < 120) return std::to_string(seconds) + " s";
  if (seconds < 7200) return std::to_string(seconds / 60) + " min";
  return std::to_string(seconds / 3600) + " h " + std::to_string(seconds % 3600 / 60) + " min";
}

std::string describe_reintegration(const ReintegrationReport& progress) {
  const auto eta = progress.eta_s();
  return format_bytes(progress.bytes_done) + " of " + format_bytes(progress.bytes_total) + " (" +
         std::to_string(progress.percent()) + " %), " + format_bytes(progress.rate_bytes_per_s) + "/s, " +
         (eta ? "about " + format_duration(*eta) + " left" : std::string("time left unknown"));
}

PeerHeard peer_heard(const core::Node& node, std::int64_t now_ns) {
  PeerHeard heard;
  const core::PeerMonitor* monitor = node.peer_monitor();
  if (monitor == nullptr) return heard;
  heard.listening = true;
  heard.up = monitor->peer_up();
  if (monitor->peer_heard_ns() != 0) {
    heard.heard_ms_ago = std::max<std::int64_t>(0, (now_ns - monitor->peer_heard_ns()) / io::kNsPerMs);
    heard.state = monitor->peer_state();
  }
  return heard;
}

namespace {

// A heartbeat's state byte comes off the network: anything unknown is said so.
std::string reported_state_name(std::uint8_t state) {
  if (state > static_cast<std::uint8_t>(core::NodeState::second)) return "unknown (state " + std::to_string(state) + ")";
  return std::string(core::node_state_name(static_cast<core::NodeState>(state)));
}

std::string ago(std::int64_t ms) {
  if (ms < 10'000) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000.0);
    return text;
  }
  return format_duration(static_cast<std::uint64_t>(ms / 1000));
}

// What the peer's state means for this node, when both are up.
std::string relation(core::NodeState this_state, core::NodeState peer_state, bool reintegrating) {
  using core::NodeState;
  if (this_state == NodeState::prim && peer_state == NodeState::second) {
    return reintegrating ? "being reintegrated" : "receiving every write";
  }
  if (this_state == NodeState::second && peer_state == NodeState::prim) return "primary";
  if (core::is_primary(this_state) && core::is_primary(peer_state)) return "BOTH nodes serve writes";
  return "";
}

}  // namespace

PeerReport describe_peer(core::NodeState this_state, bool reintegrating, const PeerHeard& heard) {
  PeerReport report;
  if (!heard.listening) {
    report.state = "unknown";
    report.note = "this node is STOP: it does not listen for heartbeats";
    return report;
  }
  report.last_heard_ms_ago = heard.heard_ms_ago;
  // Paired over the replication link, this node's state names the peer's: fresher than
  // a heartbeat, which carries a change only at the peer's next pulse.
  if (this_state == core::NodeState::prim || this_state == core::NodeState::second) {
    const auto paired = this_state == core::NodeState::prim ? core::NodeState::second : core::NodeState::prim;
    report.state = std::string(core::node_state_name(paired));
    std::string heartbeat = "no heartbeat yet";
    if (heard.heard_ms_ago) {
      heartbeat = heard.up ? "heartbeat " + ago(*heard.heard_ms_ago) + " ago"
                           : "no heartbeat for " + ago(*heard.heard_ms_ago) + ", the replication link still works";
    }
    report.note = relation(this_state, paired, reintegrating) + "; " + heartbeat;
    return report;
  }
  if (!heard.heard_ms_ago) {
    report.state = "unknown";
    report.note = "no heartbeat since this node started";
    return report;
  }
  const std::string said = reported_state_name(heard.state);
  if (!heard.up) {
    report.state = "unreachable";
    report.last_state = said;
    report.note = "last heartbeat " + ago(*heard.heard_ms_ago) + " ago, as " + said + ": stopped, crashed or cut off";
    return report;
  }
  report.state = said;
  report.note = "heartbeat " + ago(*heard.heard_ms_ago) + " ago";
  if (heard.state <= static_cast<std::uint8_t>(core::NodeState::second)) {
    const std::string meaning = relation(this_state, static_cast<core::NodeState>(heard.state), reintegrating);
    if (!meaning.empty()) report.note = meaning + "; " + report.note;
  }
  return report;
}

StateReport make_state_report(const core::Node& node, const PeerHeard& heard, const std::string& peer_name,
                              const std::string& since) {
  StateReport report;
  report.node = node.name();
  report.state = std::string(core::node_state_name(node.state()));
  report.exit_code = core::state_exit_code(node.state());
  report.reason = node.state_reason();
  report.since = since;
  const auto& generation = node.generation();
  report.generation = generation.current;
  report.consistent = generation.consistent;
  report.outdated = generation.outdated;
  report.split_brain = generation.split_brain;
  report.synchronised = node.synchronised();
  report.holds_lease = node.holds_lease();
  if (const auto progress = node.reintegration_progress()) {
    report.reintegration = ReintegrationReport{progress->bytes_done, progress->bytes_to_do, progress->rate_bytes_per_s};
  }
  report.peer = peer_name;
  report.peer_report = describe_peer(node.state(), report.reintegration.has_value(), heard);
  return report;
}

std::string to_json(const StateReport& report) {
  const PeerReport& heard = report.peer_report;
  toml::table peer{{"name", report.peer}, {"state", heard.state}, {"note", heard.note}};
  if (heard.last_state) peer.insert("last_state", *heard.last_state);
  if (heard.last_heard_ms_ago) peer.insert("last_heard_ms_ago", *heard.last_heard_ms_ago);
  toml::table node{{"name", report.node},
                   {"state", report.state},
                   {"exit_code", report.exit_code},
                   {"reason", report.reason},
                   {"since", report.since},
                   {"generation", std::to_string(report.generation)},  // 64-bit ids exceed JSON numbers
                   {"consistent", report.consistent},
                   {"outdated", report.outdated},
                   {"split_brain", report.split_brain},
                   {"synchronised", report.synchronised},
                   {"holds_lease", report.holds_lease}};
  if (report.reintegration) {
    const auto& progress = *report.reintegration;
    toml::table reintegration{{"bytes_done", static_cast<std::int64_t>(progress.bytes_done)},
                              {"bytes_total", static_cast<std::int64_t>(progress.bytes_total)},
                              {"percent", progress.percent()},
                              {"rate_bytes_per_s", static_cast<std::int64_t>(progress.rate_bytes_per_s)}};
    if (const auto eta = progress.eta_s()) reintegration.insert("eta_s", static_cast<std::int64_t>(*eta));
    node.insert("reintegration", std::move(reintegration));
  }
  toml::table root{{"node", std::move(node)}, {"peer", std::move(peer)}};
  std::ostringstream out;
  out << toml::json_formatter{root};
  return out.str();
}

std::string to_text(const StateReport& report) {
  std::string text = report.node + ": " + report.state + " since " + report.since + " (" + report.reason + ")\n";
  text += "  data generation " + std::to_string(report.generation) + (report.synchronised ? ", synchronised" : "") +
          (report.outdated ? ", OUTDATED" : "") + (report.consistent ? "" : ", INCONSISTENT (reintegration unfinished)") +
          (report.split_brain ? ", SPLIT BRAIN unresolved" : "") + (report.holds_lease ? ", holds the witness lease" : "") + "\n";
  if (report.reintegration) text += "  reintegrating " + report.peer + ": " + describe_reintegration(*report.reintegration) + "\n";
  text += report.peer + ": " + report.peer_report.state + " (" + report.peer_report.note + ")\n";
  return text;
}

}  // namespace hamirror::daemon
