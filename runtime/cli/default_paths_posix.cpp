#include "cli/default_paths.h"

namespace hamirror::paths {

std::string default_config_dir() { return "/etc/hamirror"; }

}  // namespace hamirror::paths
