// `hamirrord run`: one cluster node in the foreground. Loads and checks both
// configuration files, locks the state_dir, opens the logs, then runs a core::Node on
// the libuv backend with the control API beside it, until SIGTERM / SIGINT: the node
// stops (stop_prim, VIP removed, state persisted) and the process exits 0. Nothing
// here needs a clean exit: after kill -9 the core restarts from its persisted state.
#pragma once

#include <functional>
#include <string>

#include "daemon/stop_request.h"

namespace hamirror::daemon {

struct NodeDaemonOptions {
  std::string node_file;    // the node's TOML file
  std::string module_file;  // the module's userconfig.xml
  std::string install_dir;  // where hamirrord's programs are (for scripts' SAFEBIN)
  // Mount each replicated directory at <mount_prefix>/<dir> instead of <dir>: two
  // nodes on one machine (tests, the demo) must not mount on the same path.
  std::string mount_prefix;
  // The Windows service: stops asked for by the Service Control Manager (null: only
  // signals stop the node), and told once the node runs, to report SERVICE_RUNNING.
  StopRequest* stop_request = nullptr;
  std::function<void()> on_running;
  // Why the node could not start (configuration, directories, lock, ports), once, besides
  // stderr and (when already open) the module log: a service has no console, so the
  // Windows service writes it to the Event Log.
  std::function<void(const std::string&)> on_start_failed;
};

// Exit codes: 0 after a clean stop; kExitConfig for configuration errors;
// kExitStartup when the node cannot start (lock held, port in use, directories).
constexpr int kExitConfig = 2;
constexpr int kExitStartup = 3;

int run_node_daemon(const NodeDaemonOptions& options);

}  // namespace hamirror::daemon
