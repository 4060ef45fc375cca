#include "cli/default_paths.h"

#include <filesystem>

namespace hamirror::paths {

std::string default_node_file() { return (std::filesystem::path(default_config_dir()) / "node.toml").string(); }

std::string default_module_file() {
  return (std::filesystem::path(default_config_dir()) / "mirror" / "conf" / "userconfig.xml").string();
}

std::string choose_node_file(const std::string& option, const char* from_environment) {
  if (!option.empty()) return option;
  if (from_environment != nullptr && *from_environment != '\0') return from_environment;
  return default_node_file();
}

}  // namespace hamirror::paths
