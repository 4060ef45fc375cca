// Checks that a node's TOML file and the module's userconfig.xml fit together:
// - every <heartbeat name="X"> has [networks.X] addresses (an extra [networks.Y] is a
//   warning: it would be ignored);
// - defaultprim="NODE" names this node or its peer;
// - the node's state and log directories are neither inside nor around a replicated
//   directory (the node would replicate its own state, or hide it).
#pragma once

#include <string>

#include "config/diagnostics.h"
#include "config/module_config.h"
#include "config/node_config.h"
#include "config/path_rules.h"

namespace hamirror::config {

struct ConfigFiles {
  std::string userconfig;  // file names, for messages
  std::string node;
};

void check_node_against_module(const NodeConfig& node, const ModuleConfig& module, const ConfigFiles& files,
                               PathStyle path_style, Diagnostics& diagnostics);

}  // namespace hamirror::config
