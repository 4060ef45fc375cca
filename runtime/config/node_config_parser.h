// Reads and checks a node's TOML file into NodeConfig (schema: examples/node1.toml).
// Every problem in one pass, each with file:line:column; a TOML syntax error stops at
// the first one (toml++ reports only that). Unknown keys are warnings. Never throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/diagnostics.h"
#include "config/node_config.h"
#include "config/path_rules.h"

namespace hamirror::config {

struct NodeConfigResult {
  std::optional<NodeConfig> config;  // set only when there is no error
  Diagnostics diagnostics;
};

NodeConfigResult parse_node_config(std::string_view text, const std::string& file,
                                   PathStyle path_style = native_path_style());

}  // namespace hamirror::config
