// How the CLI reaches the local hamirrord: the node's TOML file gives the console
// port (and log_dir / state_dir for logview, printi and snapshot); the control API
// (runtime/daemon/CONTROL-API.md) answers on 127.0.0.1 in text (Accept: text/plain).
//
// The node's TOML file: --node FILE, else $HAMIRROR_NODE, else the default (default_paths.h:
// /etc/hamirror/node.toml, or C:\ProgramData\hamirror\node.toml on Windows).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "cli/default_paths.h"
#include "config/node_config.h"

namespace hamirror::cli {

using paths::kNodeFileVariable;

// Exit codes of the verbs that talk to the daemon (state uses SafeKit's 0..4 instead
// of kExitOk/kExitRefused; verb.h has the shared ones).
constexpr int kExitRefused = 1;            // the daemon refused the command; it says why
constexpr int kExitNodeConfig = 2;         // the node's TOML file cannot be read
constexpr int kExitDaemonNotRunning = 10;  // nothing answers on the console port
constexpr int kExitDaemonError = 11;       // the daemon answered with an error (busy, stopping)

// Adds --node to a verb; `target` receives the option's value.
void add_node_option(CLI::App& command, std::string& target);

// The node file the options and environment point at.
std::string node_file_path(const std::string& option);

// The node's settings; prints why not (with file:line) and returns nullopt.
std::optional<config::NodeConfig> load_node_config(const std::string& option);

struct DaemonAnswer {
  bool reached = false;  // false: no daemon on the console port
  int status = 0;        // HTTP status
  std::string body;      // text
  std::string state;     // the Hamirror-State header (GET state)
};

DaemonAnswer call_daemon(std::uint16_t console_port, const std::string& method, const std::string& path,
                         const std::string& body = {});

// The exit code for a command's answer (state excepted), after printing its text.
int report_command_answer(const DaemonAnswer& answer, std::uint16_t console_port, const std::string& node_file);

// The message for a daemon that does not answer, naming the port and the file.
std::string daemon_not_running_message(std::uint16_t console_port, const std::string& node_file);

}  // namespace hamirror::cli
