// Finding running processes by name on Windows with a Toolhelp32 snapshot.
//
// szExeFile is the executable's file name ("sqlservr.exe"). Names compare without
// case, as the file system does, and ".exe" may be left out of the wanted name. A
// snapshot is a consistent copy of the process list taken at one instant.

#include <algorithm>

#include "io/assert.h"
#include "platform/platform.h"
#include "platform/win/text.h"
#include "platform/win/win32.h"

namespace hamirror::platform {
namespace {

class Snapshot {
 public:
  Snapshot() : handle_(::CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0)) {}
  ~Snapshot() {
    if (valid()) ::CloseHandle(handle_);
  }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  bool valid() const { return handle_ != INVALID_HANDLE_VALUE; }
  HANDLE get() const { return handle_; }

 private:
  HANDLE handle_;
};

}  // namespace

io::Result<std::vector<io::ProcessInfo>> list_processes_by_name(const std::string& name) {
  if (name.empty() || name.find_first_of("/\\") != std::string::npos) return io::Error::invalid_argument;
  const auto wanted = win::to_wide(name);
  if (!wanted) return io::Error::invalid_argument;
  const std::wstring with_exe = *wanted + L".exe";

  Snapshot snapshot;
  if (!snapshot.valid()) return io::error_from_win32(::GetLastError());
  std::vector<io::ProcessInfo> found;
  PROCESSENTRY32W entry{};
  entry.dwSize = sizeof entry;
  // Bounded by the snapshot, which holds a finite copy of the process list.
  for (BOOL more = ::Process32FirstW(snapshot.get(), &entry); more; more = ::Process32NextW(snapshot.get(), &entry)) {
    const std::wstring exe(entry.szExeFile);
    if (win::equal_ignoring_case(exe, *wanted) || win::equal_ignoring_case(exe, with_exe)) {
      found.push_back(io::ProcessInfo{static_cast<std::int64_t>(entry.th32ProcessID), win::to_utf8(entry.szExeFile)});
    }
  }
  const DWORD last = ::GetLastError();
  if (last != ERROR_NO_MORE_FILES) return io::error_from_win32(last);
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
  HM_ASSERT(found.size() <= 1 || found.front().pid <= found.back().pid);
  return found;
}

}  // namespace hamirror::platform
