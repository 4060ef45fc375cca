// hamirrord install / uninstall: the service's registration with the Service Control
// Manager, and the %ProgramData% defaults (cli/default_paths.h, shared with the hamirror command).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/default_paths.h"
#include "config/config_check.h"
#include "daemon/windows_service.h"
#include "platform/win/text.h"

namespace hamirror::daemon {
namespace {

namespace fs = std::filesystem;
using platform::win::to_utf8;
using platform::win::to_wide;
using platform::win::win32_message;

// uninstall waits this long for the clean stop (stop_prim may take a while) before it
// deletes the service anyway (the SCM then removes it once the process exits).
constexpr int kStopWaitMs = 120'000;
constexpr int kStopPollMs = 250;
// After a failure (e.g. the node's address not yet up at boot), the SCM restarts the
// service after this delay; its count of failures starts again after a day.
constexpr DWORD kRestartDelayMs = 10'000;
constexpr DWORD kFailureResetSeconds = 24 * 60 * 60;
// Beyond stop_prim's two timeouts, for the rest of the clean stop (VIP, records).
constexpr std::chrono::seconds kPreshutdownMargin{30};

struct ScHandleCloser {
  void operator()(SC_HANDLE handle) const { ::CloseServiceHandle(handle); }
};
using ScHandle = std::unique_ptr<std::remove_pointer_t<SC_HANDLE>, ScHandleCloser>;

int fail(const std::string& verb, const std::string& message) {
  std::fprintf(stderr, "hamirrord %s: %s\n", verb.c_str(), message.c_str());
  return kExitServiceManager;
}

std::string scm_refusal(const std::string& what, DWORD error) {
  if (error == ERROR_ACCESS_DENIED) {
    return "not allowed to " + what + ": run this from an elevated prompt (Command Prompt → Run as administrator)";
  }
  return "cannot " + what + ": " + win32_message(error);
}

// An absolute path for the service's command line: the SCM starts services in
// System32, where a relative path means nothing. nullopt: not valid UTF-8 or quoted.
std::optional<std::wstring> absolute_path(const std::string& path) {
  const auto wide = to_wide(path);
  if (!wide || wide->find(L'"') != std::wstring::npos) return std::nullopt;
  std::error_code error;
  const fs::path absolute = fs::absolute(fs::path(*wide), error);
  if (error) return std::nullopt;
  return absolute.wstring();
}

std::wstring own_program() {
  std::wstring path(32768, L'\0');
  const DWORD size = ::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
  path.resize(size);
  return path;
}

void set_description_and_recovery(SC_HANDLE service) {
  std::wstring description = L"hamirror cluster node: synchronous replication, heartbeats, failover with a virtual IP";
  SERVICE_DESCRIPTIONW text{description.data()};
  ::ChangeServiceConfig2W(service, SERVICE_CONFIG_DESCRIPTION, &text);
  SC_ACTION restart[3] = {{SC_ACTION_RESTART, kRestartDelayMs}, {SC_ACTION_RESTART, kRestartDelayMs},
                          {SC_ACTION_RESTART, kRestartDelayMs}};
  SERVICE_FAILURE_ACTIONSW actions{};
  actions.dwResetPeriod = kFailureResetSeconds;
  actions.cActions = 3;
  actions.lpsaActions = restart;
  ::ChangeServiceConfig2W(service, SERVICE_CONFIG_FAILURE_ACTIONS, &actions);
  // Also when the node stops with an error code, not only when the process dies.
  SERVICE_FAILURE_ACTIONS_FLAG on_error{TRUE};
  ::ChangeServiceConfig2W(service, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &on_error);
}

// At shutdown Windows gives a service's SHUTDOWN control a few seconds (5 s on current
// versions), then ends the process: stop_prim would be cut short and the node restart
// as after a crash. A service that accepts PRESHUTDOWN (windows_service_run.cpp) is
// stopped before that, and the SCM waits for it up to this timeout: stop_prim's plain
// and forced timeouts from userconfig.xml, plus a margin. A configuration that does
// not load (the service then stops at once, exit code 2) counts as the defaults.
DWORD preshutdown_timeout_ms(const std::string& module_file) {
  config::UserSettings user;
  if (const auto checked = config::check_config_files(module_file, std::nullopt); checked.module) user = checked.module->user;
  const auto total = user.nicestoptimeout + user.forcestoptimeout + kPreshutdownMargin;
  return static_cast<DWORD>(std::chrono::duration_cast<std::chrono::milliseconds>(total).count());
}

void set_preshutdown_timeout(SC_HANDLE service, DWORD timeout_ms) {
  SERVICE_PRESHUTDOWN_INFO info{timeout_ms};
  if (!::ChangeServiceConfig2W(service, SERVICE_CONFIG_PRESHUTDOWN_INFO, &info)) {
    std::fprintf(stderr, "hamirrord install: warning: cannot set the pre-shutdown timeout (%s): at shutdown Windows may "
                 "end the node before stop_prim finishes\n", win32_message(::GetLastError()).c_str());
  }
}

}  // namespace

std::string default_node_file() { return paths::default_node_file(); }
std::string default_module_file() { return paths::default_module_file(); }

int install_service(const ServiceInstallOptions& options) {
  const auto name = to_wide(options.service_name);
  const auto node = absolute_path(options.node_file);
  const auto module = absolute_path(options.module_file);
  if (!name || name->empty()) return fail("install", "the service name is empty or not valid UTF-8");
  for (const auto& [path, given] : {std::pair{node, options.node_file}, std::pair{module, options.module_file}}) {
    if (!path) return fail("install", "cannot use the path " + given + " (not valid UTF-8, or it contains a quote)");
    std::error_code error;
    if (!fs::is_regular_file(fs::path(*path), error)) {
      return fail("install", to_utf8(path->c_str()) +
                                 " does not exist: write it first (see docs/INSTALL-WINDOWS.md), then install the service");
    }
  }
  const std::wstring command_line =
      L"\"" + own_program() + L"\" service --service-name \"" + *name + L"\" --node \"" + *node + L"\" --module \"" + *module + L"\"";

  ScHandle manager(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE));
  if (!manager) return fail("install", scm_refusal("register a service", ::GetLastError()));
  // Display names are unique too: a second service (tests) carries its name in it.
  const std::wstring display_name =
      options.service_name == kDefaultServiceName ? L"hamirror cluster node" : L"hamirror cluster node (" + *name + L")";
  ScHandle service(::CreateServiceW(manager.get(), name->c_str(), display_name.c_str(), SERVICE_ALL_ACCESS,
                                    SERVICE_WIN32_OWN_PROCESS, options.auto_start ? SERVICE_AUTO_START : SERVICE_DEMAND_START,
                                    SERVICE_ERROR_NORMAL, command_line.c_str(), nullptr, nullptr, nullptr, nullptr, nullptr));
  if (!service) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_SERVICE_EXISTS || error == ERROR_DUPLICATE_SERVICE_NAME) {  // the name or the display name
      return fail("install", "a service named \"" + options.service_name +
                                 "\" is already registered: remove it first with `hamirrord uninstall`");
    }
    if (error == ERROR_SERVICE_MARKED_FOR_DELETE) {
      return fail("install", "the service \"" + options.service_name +
                                 "\" is still being deleted: close the Services console (services.msc) and try again");
    }
    return fail("install", scm_refusal("register the service \"" + options.service_name + "\"", error));
  }
  set_description_and_recovery(service.get());
  set_preshutdown_timeout(service.get(), preshutdown_timeout_ms(options.module_file));
  if (const std::string why = register_event_source(own_program()); !why.empty()) {
    std::fprintf(stderr, "hamirrord install: warning: cannot register the Event Log source \"hamirrord\" (%s): the service's "
                 "start-up errors will show in Event Viewer with a \"description cannot be found\" note around them\n", why.c_str());
  }
  std::printf("hamirrord install: service \"%s\" registered (%s start); start it with: sc start %s\n",
              options.service_name.c_str(), options.auto_start ? "automatic" : "manual", options.service_name.c_str());
  return 0;
}

int uninstall_service(const std::string& service_name) {
  const auto name = to_wide(service_name);
  if (!name || name->empty()) return fail("uninstall", "the service name is empty or not valid UTF-8");
  ScHandle manager(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (!manager) return fail("uninstall", scm_refusal("open the service manager", ::GetLastError()));
  ScHandle service(::OpenServiceW(manager.get(), name->c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
  if (!service) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_SERVICE_DOES_NOT_EXIST) {
      return fail("uninstall", "no service named \"" + service_name + "\" is registered: nothing to remove");
    }
    return fail("uninstall", scm_refusal("remove the service \"" + service_name + "\"", error));
  }
  SERVICE_STATUS status{};
  if (::ControlService(service.get(), SERVICE_CONTROL_STOP, &status)) {
    std::printf("hamirrord uninstall: stopping the service (stop_prim, virtual IP removed, state saved)...\n");
    std::fflush(stdout);
  }
  for (int waited_ms = 0; ::QueryServiceStatus(service.get(), &status) && status.dwCurrentState != SERVICE_STOPPED;
       waited_ms += kStopPollMs) {
    if (waited_ms >= kStopWaitMs) {
      std::fprintf(stderr, "hamirrord uninstall: the service did not stop within %d s; it is removed once its process exits\n",
                   kStopWaitMs / 1000);
      break;
    }
    ::Sleep(kStopPollMs);
  }
  if (!::DeleteService(service.get()) && ::GetLastError() != ERROR_SERVICE_MARKED_FOR_DELETE) {
    return fail("uninstall", scm_refusal("remove the service \"" + service_name + "\"", ::GetLastError()));
  }
  // The source is shared by every service name (tests install others): only the real
  // service's removal takes it away.
  if (service_name == kDefaultServiceName) unregister_event_source();
  std::printf("hamirrord uninstall: service \"%s\" removed\n", service_name.c_str());
  return 0;
}

}  // namespace hamirror::daemon
