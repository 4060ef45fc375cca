// Checks a module's userconfig.xml and, optionally, a node's TOML file together, as
// `hamirror confcheck` does: each file alone, then — when both load — how they fit.
#pragma once

#include <optional>
#include <string>

#include "config/diagnostics.h"
#include "config/module_config.h"
#include "config/node_config.h"
#include "config/userconfig_parser.h"

namespace hamirror::config {

struct ConfigCheckResult {
  std::optional<ModuleConfig> module;  // set when userconfig.xml has no error
  std::optional<NodeConfig> node;      // set when the node file was given and has no error
  Diagnostics diagnostics;             // every file's findings, userconfig.xml's first
};

ConfigCheckResult check_config_files(const std::string& userconfig_path, const std::optional<std::string>& node_path,
                                     const UserconfigOptions& options = {});

}  // namespace hamirror::config
