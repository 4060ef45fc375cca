// Windows services through the Service Control Manager.
//
// StartServiceW returns once the SCM has launched the service (state START_PENDING);
// ControlService(STOP) once the stop was delivered (STOP_PENDING). Both are followed
// by polling QueryServiceStatusEx until the target state or the timeout. A service
// that falls back to STOPPED while we wait for RUNNING failed to start: its exit code
// goes into the detail.

#include <algorithm>
#include <chrono>
#include <thread>

#include "io/assert.h"
#include "platform/platform.h"
#include "platform/win/text.h"
#include "platform/win/win32.h"

namespace hamirror::platform {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kPollIntervalMs = 100;

void set_detail(std::string* detail, std::string text) {
  if (detail != nullptr) *detail = std::move(text);
}

class ScHandle {
 public:
  ScHandle() = default;
  explicit ScHandle(SC_HANDLE handle) : handle_(handle) {}
  ~ScHandle() {
    if (handle_ != nullptr) ::CloseServiceHandle(handle_);
  }
  ScHandle(const ScHandle&) = delete;
  ScHandle& operator=(const ScHandle&) = delete;
  ScHandle& operator=(ScHandle&& other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }
  SC_HANDLE get() const { return handle_; }

 private:
  SC_HANDLE handle_ = nullptr;
};

struct Opened {
  ScHandle manager;
  ScHandle service;
};

io::Error open_service(const std::string& name, DWORD access, Opened& opened, std::string* detail) {
  const auto wide = win::to_wide(name);
  if (name.empty() || !wide) {
    set_detail(detail, "not a service name: '" + name + "'");
    return io::Error::invalid_argument;
  }
  opened.manager = ScHandle(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (opened.manager.get() == nullptr) {
    const DWORD code = ::GetLastError();
    set_detail(detail, "OpenSCManagerW: " + win::win32_message(code));
    return io::error_from_win32(code);
  }
  opened.service = ScHandle(::OpenServiceW(opened.manager.get(), wide->c_str(), access));
  if (opened.service.get() == nullptr) {
    const DWORD code = ::GetLastError();
    set_detail(detail, "OpenServiceW '" + name + "': " + win::win32_message(code));
    return io::error_from_win32(code);  // ERROR_SERVICE_DOES_NOT_EXIST -> not_found
  }
  return io::Error::ok;
}

io::Result<SERVICE_STATUS_PROCESS> status_of(SC_HANDLE service, std::string* detail) {
  SERVICE_STATUS_PROCESS status{};
  DWORD needed = 0;
  if (!::QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&status), sizeof status,
                              &needed)) {
    const DWORD code = ::GetLastError();
    set_detail(detail, "QueryServiceStatusEx: " + win::win32_message(code));
    return io::error_from_win32(code);
  }
  return status;
}

io::ServiceState state_of(DWORD current) {
  switch (current) {
    case SERVICE_STOPPED: return io::ServiceState::stopped;
    case SERVICE_START_PENDING: return io::ServiceState::starting;
    case SERVICE_RUNNING: return io::ServiceState::running;
    case SERVICE_STOP_PENDING: return io::ServiceState::stopping;
    default: return io::ServiceState::unknown;  // paused, pause or continue pending
  }
}

std::string exit_codes(const SERVICE_STATUS_PROCESS& status) {
  if (status.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR) {
    return "service-specific exit code " + std::to_string(status.dwServiceSpecificExitCode);
  }
  return win::win32_message(status.dwWin32ExitCode);
}

bool past(Clock::time_point deadline) { return Clock::now() >= deadline; }

void pause_until(Clock::time_point deadline) {
  const auto left = deadline - Clock::now();
  std::this_thread::sleep_for(std::min<Clock::duration>(left, std::chrono::milliseconds(kPollIntervalMs)));
}

}  // namespace

io::Error service_start(const std::string& name, std::int64_t timeout_ms, std::string* detail) {
  HM_ASSERT(timeout_ms > 0);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  Opened opened;
  if (const io::Error error = open_service(name, SERVICE_START | SERVICE_QUERY_STATUS, opened, detail);
      error != io::Error::ok) {
    return error;
  }
  if (!::StartServiceW(opened.service.get(), 0, nullptr)) {
    const DWORD code = ::GetLastError();
    if (code != ERROR_SERVICE_ALREADY_RUNNING) {
      set_detail(detail, "StartServiceW '" + name + "': " + win::win32_message(code));
      return io::error_from_win32(code);
    }
  }
  // Bounded by the deadline: one query per kPollIntervalMs.
  for (;;) {
    auto status = status_of(opened.service.get(), detail);
    if (!status) return status.error();
    const io::ServiceState state = state_of(status->dwCurrentState);
    if (state == io::ServiceState::running) return io::Error::ok;
    if (state == io::ServiceState::stopped) {
      set_detail(detail, "service '" + name + "' stopped while starting: " + exit_codes(*status));
      return io::Error::unknown;
    }
    if (past(deadline)) {
      set_detail(detail, "service '" + name + "' not running after " + std::to_string(timeout_ms) + " ms");
      return io::Error::timed_out;
    }
    pause_until(deadline);
  }
}

io::Error service_stop(const std::string& name, std::int64_t timeout_ms, std::string* detail) {
  HM_ASSERT(timeout_ms > 0);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  Opened opened;
  if (const io::Error error = open_service(name, SERVICE_STOP | SERVICE_QUERY_STATUS, opened, detail);
      error != io::Error::ok) {
    return error;
  }
  bool stop_sent = false;
  // Bounded by the deadline: one query per kPollIntervalMs.
  for (;;) {
    auto status = status_of(opened.service.get(), detail);
    if (!status) return status.error();
    if (status->dwCurrentState == SERVICE_STOPPED) return io::Error::ok;
    if (!stop_sent && status->dwCurrentState != SERVICE_STOP_PENDING) {
      SERVICE_STATUS after{};
      if (::ControlService(opened.service.get(), SERVICE_CONTROL_STOP, &after)) {
        stop_sent = true;
      } else {
        const DWORD code = ::GetLastError();
        // Still starting (cannot accept the control yet): ask again at the next poll.
        // Stopped meanwhile: the next query sees it.
        if (code != ERROR_SERVICE_CANNOT_ACCEPT_CTRL && code != ERROR_SERVICE_NOT_ACTIVE) {
          set_detail(detail, "ControlService(STOP) '" + name + "': " + win::win32_message(code));
          return io::error_from_win32(code);
        }
      }
    }
    if (past(deadline)) {
      set_detail(detail, "service '" + name + "' not stopped after " + std::to_string(timeout_ms) + " ms");
      return io::Error::timed_out;
    }
    pause_until(deadline);
  }
}

io::Result<io::ServiceState> service_query(const std::string& name, std::string* detail) {
  Opened opened;
  if (const io::Error error = open_service(name, SERVICE_QUERY_STATUS, opened, detail); error != io::Error::ok) {
    return error;
  }
  auto status = status_of(opened.service.get(), detail);
  if (!status) return status.error();
  return state_of(status->dwCurrentState);
}

}  // namespace hamirror::platform
