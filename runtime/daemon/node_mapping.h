// From the configuration files (runtime/config) to the core's NodeConfig: which
// address and port each heartbeat network and the replication link use, where this
// node's copy of each replicated directory lives, the policy, the VIP, the scripts,
// errd and the witness.
//
// Layout under the node's state_dir:
//   <state_dir>/node/      the core's persisted state (generation record, activity log)
//   <state_dir>/data/<n>/  this node's copy of the n-th <replicated dir> (userconfig
//                          order); the FUSE frontend serves it at the configured path
//   <state_dir>/hamirrord.pid  the daemon's lock (pid_lock.h)
//
// The module: userconfig.xml in <module>/conf/ (SafeKit's layout) or directly in
// <module>/; the module's name is that folder's name and its scripts are
// <module>/bin/start_prim and stop_prim (start_prim.cmd / stop_prim.cmd on Windows).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "config/module_config.h"
#include "config/node_config.h"
#include "core/node/node.h"

namespace hamirror::daemon {

struct ModuleLocation {
  std::string name;         // the module (cluster) name, for scripts' SAFEMODULE
  std::string directory;    // <module>
  std::string scripts_dir;  // <module>/bin
};
ModuleLocation locate_module(const std::string& userconfig_path);

std::string node_state_dir(const std::string& state_dir);
std::string replicated_copy_dir(const std::string& state_dir, std::size_t index);

// Turns a host name or literal into a numeric address; nullopt when it does not resolve.
using Resolver = std::function<std::optional<std::string>(const std::string& host)>;

struct MappingResult {
  std::optional<core::NodeConfig> config;
  std::string error;  // what could not be mapped, when config is empty
};

// `install_dir`: where hamirrord's programs are (scripts' SAFE / SAFEBIN).
MappingResult map_node_config(const config::NodeConfig& node, const config::ModuleConfig& module,
                              const ModuleLocation& location, const std::string& install_dir, const Resolver& resolve);

}  // namespace hamirror::daemon
