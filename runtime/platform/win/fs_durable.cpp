// Durable renames and directory flushes on Windows.
//
// What NTFS guarantees: every change to the namespace (create, rename, delete) is a
// metadata transaction in the volume's log ($LogFile); after a crash the volume is
// consistent, but the last transactions may be lost if the log had not reached the
// disk. MoveFileExW with MOVEFILE_WRITE_THROUGH does not return until the rename is
// flushed, so durable_rename() is durable on return (the io/ contract relies on it).
// FlushFileBuffers on a file writes its data and metadata.
//
// fsync_directory(): FlushFileBuffers on a directory handle (opened with
// FILE_FLAG_BACKUP_SEMANTICS) is accepted by NTFS and ReFS and pushes the directory's
// metadata out, but it needs a handle with write access, and some file systems (FAT,
// network redirectors, perhaps Wine's emulation) refuse it. When it is refused (access denied, not supported, invalid
// function) we return ok: the rename that publishes a state file is already
// write-through, which is why SQLite and others do not sync directories on Windows.
// The exposure left is a create or delete not followed by any write-through
// operation; nothing in hamirror relies on those surviving a crash. Any other error
// (a missing directory, a device error) is reported.

#include "io/assert.h"
#include "platform/platform.h"
#include "platform/win/text.h"
#include "platform/win/win32.h"

namespace hamirror::platform {
namespace {

class Handle {
 public:
  explicit Handle(HANDLE handle) : handle_(handle) {}
  ~Handle() {
    if (valid()) ::CloseHandle(handle_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  bool valid() const { return handle_ != INVALID_HANDLE_VALUE; }
  HANDLE get() const { return handle_; }

 private:
  HANDLE handle_;
};

HANDLE open_directory(const std::wstring& path, DWORD access) {
  return ::CreateFileW(path.c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                       OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
}

bool flush_refused(DWORD code) {
  return code == ERROR_ACCESS_DENIED || code == ERROR_INVALID_FUNCTION || code == ERROR_NOT_SUPPORTED ||
         code == ERROR_INVALID_PARAMETER;
}

}  // namespace

io::Error durable_rename(const std::string& from, const std::string& to) {
  HM_ASSERT(!from.empty() && !to.empty());
  const auto wide_from = win::to_wide(from);
  const auto wide_to = win::to_wide(to);
  if (!wide_from || !wide_to) return io::Error::invalid_argument;
  if (!::MoveFileExW(wide_from->c_str(), wide_to->c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return io::error_from_win32(::GetLastError());
  }
  return io::Error::ok;
}

io::Error fsync_directory(const std::string& path) {
  HM_ASSERT(!path.empty());
  const auto wide = win::to_wide(path);
  if (!wide) return io::Error::invalid_argument;
  // Write access is what FlushFileBuffers needs; without it (a read-only ACL) the
  // directory is still opened, to tell a missing one from a refused flush.
  HANDLE raw = open_directory(*wide, GENERIC_WRITE);
  if (raw == INVALID_HANDLE_VALUE && ::GetLastError() == ERROR_ACCESS_DENIED) raw = open_directory(*wide, GENERIC_READ);
  Handle directory(raw);
  if (!directory.valid()) return io::error_from_win32(::GetLastError());

  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(directory.get(), &info)) return io::error_from_win32(::GetLastError());
  if ((info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) == 0) return io::Error::not_directory;

  if (!::FlushFileBuffers(directory.get())) {
    const DWORD code = ::GetLastError();
    if (!flush_refused(code)) return io::error_from_win32(code);
  }
  return io::Error::ok;
}

// FlushFileBuffers on a volume handle needs an administrator's rights; the caller
// flushes name by name instead.
io::Error sync_file_system(const std::string& path) {
  HM_ASSERT(!path.empty());
  return io::Error::not_supported;
}

}  // namespace hamirror::platform
