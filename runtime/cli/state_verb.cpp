#include "cli/state_verb.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "cli/daemon_client.h"

namespace hamirror::cli {
namespace {

int run_state(const std::string& node_option) {
  const auto node = load_node_config(node_option);
  if (!node) return kExitNodeConfig;
  const auto answer = call_daemon(node->console_port, "GET", "/api/v1/state");
  if (!answer.reached) {
    std::fprintf(stderr, "%s\n", daemon_not_running_message(node->console_port, node_file_path(node_option)).c_str());
    return kExitDaemonNotRunning;
  }
  static const std::map<std::string, int> kExitCodes{{"STOP", 0}, {"WAIT", 1}, {"ALONE", 2}, {"PRIM", 3}, {"SECOND", 4}};
  const auto code = kExitCodes.find(answer.state);
  if (answer.status != 200 || code == kExitCodes.end()) {
    std::fprintf(stderr, "hamirror: hamirrord answered %d: %s", answer.status, answer.body.c_str());
    return kExitDaemonError;
  }
  std::fputs(answer.body.c_str(), stdout);
  return code->second;
}

}  // namespace

void add_state_verb(CLI::App& app, Verbs& verbs) {
  auto node_option = std::make_shared<std::string>();
  auto* command = app.add_subcommand(
      "state", "Show this node's and the peer's state (exit code: STOP 0, WAIT 1, ALONE 2, PRIM 3, SECOND 4; "
               "10: hamirrord not running)");
  add_node_option(*command, *node_option);
  verbs.push_back({command, [node_option] { return run_state(*node_option); }});
}

}  // namespace hamirror::cli
