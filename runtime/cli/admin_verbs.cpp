#include "cli/admin_verbs.h"

#include <memory>
#include <string>

#include "cli/daemon_client.h"

namespace hamirror::cli {
namespace {

int post_command(const std::string& node_option, const std::string& path) {
  const auto node = load_node_config(node_option);
  if (!node) return kExitNodeConfig;
  return report_command_answer(call_daemon(node->console_port, "POST", path), node->console_port,
                               node_file_path(node_option));
}

void add_command(CLI::App& app, Verbs& verbs, const std::string& name, const std::string& description) {
  auto node_option = std::make_shared<std::string>();
  auto* command = app.add_subcommand(name, description);
  add_node_option(*command, *node_option);
  verbs.push_back({command, [node_option, name] { return post_command(*node_option, "/api/v1/" + name); }});
}

}  // namespace

void add_admin_verbs(CLI::App& app, Verbs& verbs) {
  add_command(app, verbs, "start", "Start the module on this node (it looks for its peer, then settles its role)");
  add_command(app, verbs, "stop",
              "Stop the module on this node (stop_prim, virtual IP removed; a primary hands its role to a "
              "synchronised secondary first)");
  add_command(app, verbs, "prim", "Make this node primary (refused, with the reason, when its data is not up to date)");
  add_command(app, verbs, "primforce", "Make this node primary even with stale data (acknowledged writes may be lost)");
  add_command(app, verbs, "second", "Give up the primary role (its data is then overwritten by the peer's)");
  add_command(app, verbs, "swap", "Hand the primary role to the synchronised secondary");

  auto node_option = std::make_shared<std::string>();
  auto setting = std::make_shared<std::string>();
  auto* failover = app.add_subcommand("failover", "failover off: the secondary never takes over by itself; on: it does");
  failover->add_option("setting", *setting, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  add_node_option(*failover, *node_option);
  verbs.push_back({failover, [node_option, setting] { return post_command(*node_option, "/api/v1/failover/" + *setting); }});
}

}  // namespace hamirror::cli
