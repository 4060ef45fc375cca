// hamirrord service: the entry the Service Control Manager starts. Reports
// START_PENDING, then RUNNING once the node runs; STOP, PRESHUTDOWN and SHUTDOWN become the node's
// clean stop (as Ctrl-C in `run`), reported as STOP_PENDING with a checkpoint that
// advances every second while stop_prim runs, then STOPPED with the exit code.
// A service has no console: why the node could not start (configuration errors,
// directories, the lock, a port in use) goes to the Windows Event Log (source
// "hamirrord", Application log) and, when it is already open, to the module log;
// STOPPED carries hamirrord's exit code as the service-specific code (`sc query`:
// 2 = configuration, 3 = start-up).
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/windows_service.h"
#include "platform/win/text.h"

namespace hamirror::daemon {
namespace {

using platform::win::to_utf8;
using platform::win::to_wide;
using platform::win::win32_message;

constexpr DWORD kStartWaitHintMs = 30'000;
constexpr DWORD kStopWaitHintMs = 5'000;
constexpr auto kStopProgressInterval = std::chrono::seconds(1);

// The service this process runs. The control handler gets a pointer to it from the SCM;
// ServiceMain does not (it takes only StartService's arguments), hence the one
// process-wide pointer, set before the dispatcher starts.
struct Service {
  std::wstring name;
  NodeDaemonOptions options;
  StopRequest stop;
  std::mutex mutex;
  SERVICE_STATUS_HANDLE handle = nullptr;
  SERVICE_STATUS status{};           // guarded by mutex
  std::jthread stop_progress;        // guarded by mutex: advances STOP_PENDING's checkpoint
  bool finished = false;             // guarded by mutex: run_node_daemon returned
  int exit_code = 0;
};
Service* g_service = nullptr;

void report_locked(Service& service, DWORD state, DWORD wait_hint_ms, int exit_code) {
  SERVICE_STATUS& status = service.status;
  const bool pending = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
  status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  status.dwCheckPoint = pending && status.dwCurrentState == state ? status.dwCheckPoint + 1 : 0;
  status.dwCurrentState = state;
  status.dwControlsAccepted =
      state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN : 0;
  status.dwWaitHint = pending ? wait_hint_ms : 0;
  // A service-specific code, so `sc query` shows hamirrord's own exit code (2: configuration).
  status.dwWin32ExitCode = exit_code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
  status.dwServiceSpecificExitCode = static_cast<DWORD>(exit_code);
  ::SetServiceStatus(service.handle, &status);
}

void report(Service& service, DWORD state, DWORD wait_hint_ms, int exit_code = 0) {
  std::lock_guard lock(service.mutex);
  report_locked(service, state, wait_hint_ms, exit_code);
}

// On the SCM's dispatcher thread: must return at once; the stop itself runs on the
// node's loop.
DWORD WINAPI on_control(DWORD control, DWORD, void*, void* context) {
  auto& service = *static_cast<Service*>(context);
  if (control == SERVICE_CONTROL_INTERROGATE) return NO_ERROR;
  // PRESHUTDOWN comes first at a Windows shutdown, and the SCM then waits as long as
  // the timeout install set (windows_service_install.cpp) while the checkpoint advances.
  if (control != SERVICE_CONTROL_STOP && control != SERVICE_CONTROL_SHUTDOWN && control != SERVICE_CONTROL_PRESHUTDOWN) {
    return ERROR_CALL_NOT_IMPLEMENTED;
  }
  {
    std::lock_guard lock(service.mutex);
    if (!service.finished && !service.stop_progress.joinable()) {
      report_locked(service, SERVICE_STOP_PENDING, kStopWaitHintMs, 0);
      service.stop_progress = std::jthread([&service](std::stop_token stop) {
        while (!stop.stop_requested()) {
          std::this_thread::sleep_for(kStopProgressInterval);
          std::lock_guard progress_lock(service.mutex);
          if (!stop.stop_requested()) report_locked(service, SERVICE_STOP_PENDING, kStopWaitHintMs, 0);
        }
      });
    }
  }
  service.stop.request();
  return NO_ERROR;
}

void WINAPI service_main(DWORD, wchar_t**) {
  Service& service = *g_service;
  service.handle = ::RegisterServiceCtrlHandlerExW(service.name.c_str(), on_control, &service);
  if (service.handle == nullptr) return;  // the SCM refused us: nothing to report to
  report(service, SERVICE_START_PENDING, kStartWaitHintMs);
  NodeDaemonOptions options = service.options;
  options.stop_request = &service.stop;
  options.on_running = [&service] { report(service, SERVICE_RUNNING, 0); };
  bool start_failure_reported = false;
  options.on_start_failed = [&](const std::string& why) {
    start_failure_reported = true;
    write_event_log(EventKind::error, "The service " + to_utf8(service.name.c_str()) + " could not start: " + why);
  };
  const int exit_code = run_node_daemon(options);
  if (exit_code != 0 && !start_failure_reported) {
    write_event_log(EventKind::error, "The service " + to_utf8(service.name.c_str()) + " stopped without a clean stop (exit code " +
                                          std::to_string(exit_code) + "): see the module log for why");
  }
  std::jthread stop_progress;
  {
    std::lock_guard lock(service.mutex);
    service.finished = true;
    service.exit_code = exit_code;
    stop_progress = std::move(service.stop_progress);
  }
  stop_progress = {};  // asks it to stop and joins it, outside the lock it takes
  report(service, SERVICE_STOPPED, 0, exit_code);
}

}  // namespace

int run_as_service(const std::string& service_name, NodeDaemonOptions options) {
  const auto name = to_wide(service_name);
  if (!name || name->empty()) {
    std::fprintf(stderr, "hamirrord service: the service name is empty or not valid UTF-8\n");
    return kExitServiceManager;
  }
  Service service;
  service.name = *name;
  service.options = std::move(options);
  g_service = &service;
  SERVICE_TABLE_ENTRYW table[] = {{service.name.data(), service_main}, {nullptr, nullptr}};
  if (!::StartServiceCtrlDispatcherW(table)) {
    const DWORD error = ::GetLastError();
    g_service = nullptr;
    if (error == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
      std::fprintf(stderr,
                   "hamirrord service: must be started by the service manager (hamirrord install, then sc start %s); "
                   "to run the node in this console use: hamirrord run --node FILE --module FILE\n",
                   service_name.c_str());
    } else {
      std::fprintf(stderr, "hamirrord service: cannot connect to the service manager: %s\n", win32_message(error).c_str());
    }
    return kExitServiceManager;
  }
  g_service = nullptr;
  return service.exit_code;
}

}  // namespace hamirror::daemon
