#include <windows.h>

#include <string>

#include "daemon/pid_lock.h"

namespace hamirror::daemon {
namespace {

class WindowsPidLock final : public PidLock {
 public:
  explicit WindowsPidLock(HANDLE handle) : handle_(handle) {}
  ~WindowsPidLock() override { CloseHandle(handle_); }  // FILE_FLAG_DELETE_ON_CLOSE removes it

 private:
  HANDLE handle_;
};

std::string read_pid(const std::string& path) {
  HANDLE handle = CreateFileA(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                              nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle == INVALID_HANDLE_VALUE) return {};
  char text[32] = {};
  DWORD got = 0;
  ReadFile(handle, text, sizeof text - 1, &got, nullptr);
  CloseHandle(handle);
  std::string pid(text, got);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == '\r')) pid.pop_back();
  return pid;
}

}  // namespace

PidLockResult acquire_pid_lock(const std::string& path) {
  // Share mode READ only: a second daemon's open for writing fails while this one runs.
  HANDLE handle = CreateFileA(path.c_str(), GENERIC_WRITE, FILE_SHARE_READ, nullptr, CREATE_ALWAYS,
                              FILE_ATTRIBUTE_NORMAL | FILE_FLAG_DELETE_ON_CLOSE, nullptr);
  if (handle == INVALID_HANDLE_VALUE) {
    if (GetLastError() == ERROR_SHARING_VIOLATION) {
      const std::string pid = read_pid(path);
      return {nullptr, "another hamirrord (pid " + (pid.empty() ? std::string("unknown") : pid) +
                           ") already runs on this state_dir (lock file " + path + "); stop it first"};
    }
    return {nullptr, "cannot create the lock file " + path + " (Windows error " + std::to_string(GetLastError()) + ")"};
  }
  const std::string pid = std::to_string(GetCurrentProcessId()) + "\n";
  DWORD written = 0;
  WriteFile(handle, pid.data(), static_cast<DWORD>(pid.size()), &written, nullptr);
  return {std::make_unique<WindowsPidLock>(handle), {}};
}

}  // namespace hamirror::daemon
