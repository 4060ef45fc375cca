#include "config/cross_check.h"

#include <algorithm>

namespace hamirror::config {
namespace {

void check_networks(const NodeConfig& node, const ModuleConfig& module, const ConfigFiles& files,
                    Diagnostics& diagnostics) {
  const auto declared_in_toml = [&](const std::string& name) {
    return std::any_of(node.networks.begin(), node.networks.end(),
                       [&](const NetworkAddresses& network) { return network.name == name; });
  };
  const auto declared_in_userconfig = [&](const std::string& name) {
    return std::any_of(module.heart.networks.begin(), module.heart.networks.end(),
                       [&](const HeartbeatNetwork& network) { return network.name == name; });
  };
  // A missing network is reported where the node file's networks end: where to add it.
  const int networks_end_line = node.networks.empty() ? 0 : node.networks.back().line;
  for (const auto& heartbeat : module.heart.networks) {
    if (declared_in_toml(heartbeat.name)) continue;
    diagnostics.error({files.node, networks_end_line, 0}, "networks." + heartbeat.name,
                      "no [networks." + heartbeat.name + "] for the heartbeat network declared at " + files.userconfig +
                          ":" + std::to_string(heartbeat.line) + ": add [networks." + heartbeat.name +
                          "] with node = \"this node's address\" and peer = \"the peer's address\"");
  }
  for (const auto& network : node.networks) {
    if (declared_in_userconfig(network.name)) continue;
    diagnostics.warning({files.node, network.line, 1}, "networks." + network.name,
                        "[networks." + network.name + "] is not a <heartbeat> network of " + files.userconfig +
                            ": ignored");
  }
}

void check_defaultprim(const NodeConfig& node, const ModuleConfig& module, const ConfigFiles& files,
                       Diagnostics& diagnostics) {
  const auto& defaultprim = module.service.defaultprim;
  if (defaultprim.kind != DefaultPrim::Kind::node) return;
  if (defaultprim.node == node.name || defaultprim.node == node.peer_name) return;
  diagnostics.error({files.userconfig, defaultprim.line, 0}, "service/defaultprim",
                    "<service> defaultprim=\"" + defaultprim.node + "\" is neither this node (" + node.name +
                        ") nor its peer (" + node.peer_name + ") as " + files.node + " names them");
}

void check_directory(const char* key, const std::string& dir, int line, const ModuleConfig& module,
                     const ConfigFiles& files, PathStyle style, Diagnostics& diagnostics) {
  if (dir.empty()) return;
  const auto own = comparable_path(dir, style);
  for (const auto& replicated : module.rfs.directories) {
    const auto other = comparable_path(replicated.dir, style);
    const char* relation = path_contains(other, own) ? "lies inside" : path_contains(own, other) ? "contains" : nullptr;
    if (relation == nullptr) continue;
    diagnostics.error({files.node, line, 0}, std::string("node.") + key,
                      "[node] " + std::string(key) + " = \"" + dir + "\" " + relation + " the replicated directory \"" +
                          replicated.dir + "\" of " + files.userconfig + ": keep them apart");
  }
}

}  // namespace

void check_node_against_module(const NodeConfig& node, const ModuleConfig& module, const ConfigFiles& files,
                               PathStyle path_style, Diagnostics& diagnostics) {
  check_networks(node, module, files, diagnostics);
  check_defaultprim(node, module, files, diagnostics);
  check_directory("state_dir", node.state_dir, node.state_dir_line, module, files, path_style, diagnostics);
  check_directory("log_dir", node.log_dir, node.log_dir_line, module, files, path_style, diagnostics);
}

}  // namespace hamirror::config
