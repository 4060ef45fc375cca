// hamirrord as a Windows service: `install` / `uninstall` register and remove it with
// the Service Control Manager; `service` is the command line the SCM starts, which runs
// the same node daemon as `run` and turns the SCM's STOP and SHUTDOWN controls into the
// same clean stop as Ctrl-C (stop_prim, virtual IP removed, state saved).
#pragma once

#include <string>

#include "daemon/node_daemon.h"

namespace hamirror::daemon {

inline constexpr const char* kDefaultServiceName = "hamirror";

struct ServiceInstallOptions {
  std::string service_name = kDefaultServiceName;
  std::string node_file;    // made absolute: the SCM starts the service in System32
  std::string module_file;
  bool auto_start = false;  // SERVICE_AUTO_START (SafeKit's "boot start"); else on demand
};

// Exit codes of install / uninstall / service besides 0.
constexpr int kExitServiceManager = 4;  // the SCM refused (not elevated, exists, missing)

// Defaults when --node / --module are not given: %ProgramData%\hamirror\node.toml and
// %ProgramData%\hamirror\mirror\conf\userconfig.xml.
std::string default_node_file();
std::string default_module_file();

int install_service(const ServiceInstallOptions& options);
// Stops the service (waiting for its clean stop) and deletes it.
int uninstall_service(const std::string& service_name);
// The Windows Event Log (Application log), source "hamirrord": what a service cannot
// print. false when the event could not be written (nothing else to tell then).
inline constexpr const wchar_t* kEventSourceName = L"hamirrord";
enum class EventKind { error, information };
bool write_event_log(EventKind kind, const std::string& message);
// install / uninstall: the source's registration, naming `program`'s message table so
// Event Viewer shows the text plainly. "" or why not.
std::string register_event_source(const std::wstring& program);
void unregister_event_source();

// The `service` verb: hands the process to the SCM (StartServiceCtrlDispatcher) and
// runs the node until the SCM stops it. Started from a console, it says so and fails.
int run_as_service(const std::string& service_name, NodeDaemonOptions options);

}  // namespace hamirror::daemon
