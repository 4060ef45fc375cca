// Where hamirror and hamirrord look for their configuration when not told: the node's
// TOML file and the module's userconfig.xml, under /etc/hamirror on Linux and
// %ProgramData%\hamirror on Windows (default_paths_{posix,win}.cpp). The CLI's --node
// wins over $HAMIRROR_NODE, which wins over the default.
#pragma once

#include <string>

namespace hamirror::paths {

inline constexpr const char* kNodeFileVariable = "HAMIRROR_NODE";

// /etc/hamirror, or C:\ProgramData\hamirror (the ProgramData known folder).
std::string default_config_dir();
// <config dir>/node.toml
std::string default_node_file();
// <config dir>/mirror/conf/userconfig.xml (the module "mirror")
std::string default_module_file();

// The node file to use: `option` (--node) if given, else `from_environment`
// ($HAMIRROR_NODE; null or empty: not set), else default_node_file().
std::string choose_node_file(const std::string& option, const char* from_environment);

}  // namespace hamirror::paths
