#include "config/config_check.h"

#include "config/cross_check.h"
#include "config/node_config_parser.h"
#include "config/text_file.h"

namespace hamirror::config {

ConfigCheckResult check_config_files(const std::string& userconfig_path, const std::optional<std::string>& node_path,
                                     const UserconfigOptions& options) {
  ConfigCheckResult result;
  if (const auto text = read_config_file(userconfig_path, result.diagnostics)) {
    auto parsed = parse_userconfig(*text, userconfig_path, options);
    result.diagnostics.append(parsed.diagnostics);
    result.module = std::move(parsed.config);
  }
  if (!node_path) return result;
  if (const auto text = read_config_file(*node_path, result.diagnostics)) {
    auto parsed = parse_node_config(*text, *node_path, options.path_style);
    result.diagnostics.append(parsed.diagnostics);
    result.node = std::move(parsed.config);
  }
  if (result.module && result.node) {
    Diagnostics cross;
    check_node_against_module(*result.node, *result.module, {userconfig_path, *node_path}, options.path_style, cross);
    cross.sort_by_position();
    result.diagnostics.append(cross);
    if (cross.has_errors()) result.node.reset();
  }
  return result;
}

}  // namespace hamirror::config
