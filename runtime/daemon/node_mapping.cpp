#include "daemon/node_mapping.h"

#include <filesystem>

namespace hamirror::daemon {
namespace {

namespace fs = std::filesystem;

// A VIP's prefix is not in userconfig.xml (SafeKit takes the interface's); 24 is
// what io::VipSpec assumes, and the platform picks the interface in that subnet.
constexpr int kVipPrefixLength = 24;

std::string find_script(const std::string& scripts_dir, const std::string& name) {
  for (const std::string& candidate : {name, name + ".cmd"}) {
    std::error_code error;
    const fs::path path = fs::path(scripts_dir) / candidate;
    if (fs::is_regular_file(path, error)) return path.string();
  }
  return {};
}

core::DefaultPrim map_default_prim(config::DefaultPrim::Kind kind) {
  switch (kind) {
    case config::DefaultPrim::Kind::alone: return core::DefaultPrim::alone;
    case config::DefaultPrim::Kind::lastprim: return core::DefaultPrim::lastprim;
    case config::DefaultPrim::Kind::node: return core::DefaultPrim::node;
  }
  return core::DefaultPrim::alone;
}

core::ProcessAction map_action(config::ProcAction action) {
  switch (action) {
    case config::ProcAction::restart: return core::ProcessAction::restart;
    case config::ProcAction::stopstart: return core::ProcessAction::stopstart;
    case config::ProcAction::stop: return core::ProcessAction::stop;
  }
  return core::ProcessAction::stop;
}

struct NetworkAddresses {
  std::string local;
  std::string peer;
};

}  // namespace

ModuleLocation locate_module(const std::string& userconfig_path) {
  fs::path directory = fs::absolute(fs::path(userconfig_path)).lexically_normal().parent_path();
  if (directory.filename() == "conf") directory = directory.parent_path();
  return ModuleLocation{.name = directory.filename().string(),
                        .directory = directory.string(),
                        .scripts_dir = (directory / "bin").string()};
}

std::string node_state_dir(const std::string& state_dir) { return (fs::path(state_dir) / "node").string(); }

std::string replicated_copy_dir(const std::string& state_dir, std::size_t index) {
  return (fs::path(state_dir) / "data" / std::to_string(index)).string();
}

MappingResult map_node_config(const config::NodeConfig& node, const config::ModuleConfig& module,
                              const ModuleLocation& location, const std::string& install_dir, const Resolver& resolve) {
  core::NodeConfig out;
  out.name = node.name;
  out.peer = node.peer_name;
  out.pulse_ms = module.heart.pulse.count();
  out.timeout_ms = module.heart.timeout.count();

  // Replication runs on the network marked ident="flow", else on the first one.
  std::optional<NetworkAddresses> flow;
  for (const auto& network : module.heart.networks) {
    const config::NetworkAddresses* addresses = nullptr;
    for (const auto& candidate : node.networks) {
      if (candidate.name == network.name) addresses = &candidate;
    }
    if (addresses == nullptr) return {{}, "no [networks." + network.name + "] in the node's TOML file"};
    const auto local = resolve(addresses->node_address);
    const auto peer = resolve(addresses->peer_address);
    if (!local) return {{}, "network " + network.name + ": cannot resolve this node's address " + addresses->node_address};
    if (!peer) return {{}, "network " + network.name + ": cannot resolve the peer's address " + addresses->peer_address};
    out.heartbeat_networks.push_back({network.name, {*local, node.heartbeat_port}, {*peer, node.peer_heartbeat_port}});
    if (network.carries_replication() || !flow) flow = NetworkAddresses{*local, *peer};
  }
  if (!flow) return {{}, "userconfig.xml declares no <heartbeat> network"};
  out.replication_local = {flow->local, node.replication_port};
  out.replication_peer = {flow->peer, node.peer_replication_port};

  for (std::size_t i = 0; i < module.rfs.directories.size(); ++i) out.roots.push_back(replicated_copy_dir(node.state_dir, i));
  out.state_dir = node_state_dir(node.state_dir);
  out.reintegration_reads = static_cast<std::size_t>(module.rfs.nbrei);
  out.async_mode = module.rfs.async == config::AsyncMode::none ? core::AsyncMode::none : core::AsyncMode::second;
  out.policy.default_prim = map_default_prim(module.service.defaultprim.kind);
  out.policy.default_prim_node = module.service.defaultprim.node;
  out.policy.failover = module.service.failover;

  if (!module.vip.empty() && !module.vip.front().addresses.empty()) {
    const auto address = resolve(module.vip.front().addresses.front().addr);
    if (!address) return {{}, "cannot resolve the virtual IP " + module.vip.front().addresses.front().addr};
    out.vip = io::VipSpec{*address, kVipPrefixLength, ""};
  }

  auto& application = out.application;
  application.start_prim = find_script(location.scripts_dir, "start_prim");
  application.stop_prim = find_script(location.scripts_dir, "stop_prim");
  application.working_dir = location.directory;
  application.nice_stop_timeout_ms = std::chrono::milliseconds(module.user.nicestoptimeout).count();
  application.force_stop_timeout_ms = std::chrono::milliseconds(module.user.forcestoptimeout).count();
  application.environment = core::ScriptEnvironment{.module_name = location.name,
                                                    .node_name = node.name,
                                                    .peer_name = node.peer_name,
                                                    .install_dir = install_dir,
                                                    .bin_dir = install_dir,
                                                    .var_dir = node.state_dir,
                                                    .scripts_dir = location.scripts_dir,
                                                    .extra = {}};

  out.errd.poll_interval_ms = std::chrono::milliseconds(module.errd.polltimer).count();
  out.errd.max_loop = static_cast<std::uint32_t>(module.service.maxloop);
  out.errd.loop_interval_ms = std::chrono::milliseconds(module.service.loop_interval).count();
  for (const auto& process : module.errd.processes) {
    out.errd.processes.push_back(core::MonitoredProcess{.name = process.name,
                                                        .at_least = static_cast<std::uint32_t>(process.atleast),
                                                        .action = map_action(process.action),
                                                        .process_class = core::ProcessClass::prim});
  }

  if (!node.witnesses.empty()) {
    const auto server = resolve(node.witnesses.front().host);
    if (!server) return {{}, "cannot resolve the witness " + node.witnesses.front().host};
    // The lease client sends from the replication network's address; port 0: any.
    out.witness = core::NodeWitness{{flow->local, 0}, {*server, node.witnesses.front().port}};
  }
  return {std::move(out), {}};
}

}  // namespace hamirror::daemon
