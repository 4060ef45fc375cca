#include "cli/confcheck_verb.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cli/host_resolver.h"
#include "config/config_check.h"
#include "config/path_rules.h"

namespace hamirror::cli {
namespace {

struct ConfcheckOptions {
  std::string userconfig;
  std::string node;
  std::string paths;  // "linux", "windows", or empty for the platform hamirror runs on
};

std::string plural(std::size_t count, const std::string& word, const std::string& words = "") {
  return std::to_string(count) + " " + (count == 1 ? word : words.empty() ? word + "s" : words);
}

std::string describe(const config::ModuleConfig& module) {
  std::string flow;
  for (const auto& network : module.heart.networks) {
    if (network.carries_replication()) flow = network.name;
  }
  std::string vips;
  for (const auto& interface_settings : module.vip) {
    for (const auto& address : interface_settings.addresses) vips += (vips.empty() ? "" : ", ") + address.addr;
  }
  return "mirror module, " + plural(module.heart.networks.size(), "heartbeat network") + " (" + flow +
         " carries replication), " + (vips.empty() ? std::string("no virtual IP") : "virtual IP " + vips) + ", " +
         plural(module.rfs.directories.size(), "replicated directory", "replicated directories") + ", " +
         plural(module.errd.processes.size(), "watched process", "watched processes");
}

std::string describe(const config::NodeConfig& node) {
  return "node " + node.name + ", peer " + node.peer_name + ", " + plural(node.networks.size(), "network") +
         ", replication port " + std::to_string(node.replication_port) + ", console port " +
         std::to_string(node.console_port) + (node.witnesses.empty() ? "" : ", " + plural(node.witnesses.size(), "witness", "witnesses"));
}

int run_confcheck(const ConfcheckOptions& options) {
  config::UserconfigOptions userconfig_options;
  userconfig_options.path_style = options.paths.empty()       ? config::native_path_style()
                                  : options.paths == "windows" ? config::PathStyle::windows
                                                               : config::PathStyle::posix;
  userconfig_options.resolves = host_name_resolves;
  const auto node_path = options.node.empty() ? std::nullopt : std::optional<std::string>(options.node);
  const auto result = config::check_config_files(options.userconfig, node_path, userconfig_options);

  std::fputs(result.diagnostics.to_string().c_str(), stderr);
  const auto errors = result.diagnostics.error_count();
  const auto warnings = result.diagnostics.warning_count();
  if (errors > 0) {
    std::fprintf(stderr, "hamirror confcheck: %s, %s\n", plural(errors, "error").c_str(),
                 plural(warnings, "warning").c_str());
    return kExitConfigErrors;
  }
  std::printf("OK: %s: %s\n", options.userconfig.c_str(), describe(*result.module).c_str());
  if (result.node) std::printf("OK: %s: %s\n", options.node.c_str(), describe(*result.node).c_str());
  if (warnings > 0) std::printf("(%s)\n", plural(warnings, "warning").c_str());
  return kExitOk;
}

}  // namespace

void add_confcheck_verb(CLI::App& app, Verbs& verbs) {
  auto options = std::make_shared<ConfcheckOptions>();
  auto* command = app.add_subcommand(
      "confcheck", "Check userconfig.xml (and this node's TOML file) without starting anything");
  command->add_option("--userconfig,userconfig", options->userconfig, "the module's userconfig.xml")
      ->required()
      ->type_name("FILE");
  command->add_option("--node,node", options->node, "this node's TOML file; also checks that both files fit together")
      ->type_name("FILE");
  command
      ->add_option("--paths", options->paths,
                   "check replicated directories as paths of this platform (default: the one hamirror runs on)")
      ->check(CLI::IsMember({"linux", "windows"}));
  verbs.push_back({command, [options] { return run_confcheck(*options); }});
}

}  // namespace hamirror::cli
