// <heart pulse timeout> with one <heartbeat name ident/> per network.
#include <map>
#include <string>

#include "config/element_reader.h"
#include "config/userconfig_sections.h"
#include "config/values.h"

namespace hamirror::config::detail {
namespace {

constexpr int kTimeoutPulsesMin = 3;  // fewer: one late packet would be a false failover

void read_heartbeat(SectionContext& context, pugi::xml_node element, std::map<std::string, int>& lines,
                    HeartSettings& out) {
  ElementReader reader(context.source, element, context.diagnostics);
  HeartbeatNetwork network;
  network.line = reader.location().line;
  const auto name = reader.read_text("name", true);
  if (const auto ident = reader.read_text("ident")) network.ident = *ident;
  reader.finish();
  if (!name) return;
  if (!is_valid_node_name(*name)) {
    reader.error_at_value("name", "is not a valid network name (letters, digits, '.', '_', '-')");
    return;
  }
  if (const auto [it, inserted] = lines.emplace(*name, network.line); !inserted) {
    reader.error_at_value("name", "is declared twice (first on line " + std::to_string(it->second) + ")");
    return;
  }
  network.name = *name;
  out.networks.push_back(network);
}

}  // namespace

void read_heart(SectionContext& context, pugi::xml_node heart, HeartSettings& out) {
  ElementReader reader(context.source, heart, context.diagnostics);
  const bool pulse_ok = reader.read_duration("pulse", out.pulse, 10, 60000, "milliseconds");
  const bool timeout_ok = reader.read_duration("timeout", out.timeout, 100, 3600000, "milliseconds");
  reader.finish({"heartbeat"});
  if (pulse_ok && timeout_ok && heart.attribute("timeout")) {
    const auto pulse_ms = std::to_string(out.pulse.count());
    if (out.timeout <= out.pulse) {
      reader.error_at_value("timeout", "must be longer than the pulse (" + pulse_ms + " ms)");
    } else if (out.timeout < kTimeoutPulsesMin * out.pulse) {
      context.diagnostics.warning(context.source.location_of_value(heart.attribute("timeout")), "heart/timeout",
                                  "<heart> timeout=\"" + std::string(heart.attribute("timeout").value()) +
                                      "\" is less than 3 pulses (" + pulse_ms +
                                      " ms each): a few late heartbeats would cause a failover");
    }
  }

  std::map<std::string, int> lines;
  int flow_line = 0;
  for (const auto element : heart.children("heartbeat")) {
    const auto count_before = out.networks.size();
    read_heartbeat(context, element, lines, out);
    if (out.networks.size() == count_before || !out.networks.back().carries_replication()) continue;
    if (flow_line != 0) {
      context.diagnostics.error(context.source.location_of(element), "heartbeat/ident",
                                "a second <heartbeat> with ident=\"flow\" (the first is on line " +
                                    std::to_string(flow_line) + "): only one network carries replication");
    } else {
      flow_line = out.networks.back().line;
    }
  }
  if (heart.child("heartbeat").empty()) {
    context.diagnostics.error(reader.location(), "heartbeat", "<heart> declares no <heartbeat name=\"...\"> network");
  } else if (flow_line == 0 && !out.networks.empty()) {
    context.diagnostics.error(reader.location(), "heartbeat/ident",
                              "no <heartbeat> has ident=\"flow\": mark the network that carries replication");
  }
}

}  // namespace hamirror::config::detail
