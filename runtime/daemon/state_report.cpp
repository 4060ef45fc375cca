#include "daemon/state_report.h"

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

StateReport make_state_report(const core::Node& node, const std::string& peer_name, const std::string& since) {
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
  switch (node.state()) {
    case core::NodeState::prim:
      report.peer_state = "SECOND";
      report.peer_note = report.reintegration ? "being reintegrated" : "receiving every write";
      break;
    case core::NodeState::second:
      report.peer_state = "PRIM";
      report.peer_note = "primary";
      break;
    case core::NodeState::alone:
      report.peer_state = "unknown";
      report.peer_note = "not replicating: stopped, unreachable or waiting";
      break;
    default:
      report.peer_state = "unknown";
      report.peer_note = "this node is " + report.state;
  }
  return report;
}

std::string to_json(const StateReport& report) {
  toml::table peer{{"name", report.peer}, {"state", report.peer_state}, {"note", report.peer_note}};
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
  text += report.peer + ": " + report.peer_state + " (" + report.peer_note + ")\n";
  return text;
}

}  // namespace hamirror::daemon
