// Portable error values for everything that crosses the I/O seam.
//
// Operating errors (a missing file, a full disk, a peer that went away) are values,
// never exceptions: callers handle and log them. Programming errors are assertions
// (see assert.h). Each backend maps its native codes (errno, Win32, libuv) here, so
// protocol code compares against one enum on every platform.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <variant>

namespace hamirror::io {

enum class Error : std::uint8_t {
  ok = 0,
  not_found,           // ENOENT, ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND
  already_exists,      // EEXIST, ERROR_FILE_EXISTS, ERROR_ALREADY_EXISTS
  permission_denied,   // EACCES, EPERM, ERROR_ACCESS_DENIED
  no_space,            // ENOSPC, ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL
  io_error,            // EIO, ERROR_CRC, ERROR_IO_DEVICE
  invalid_argument,    // EINVAL, ERROR_INVALID_PARAMETER
  not_empty,           // ENOTEMPTY, ERROR_DIR_NOT_EMPTY
  is_directory,        // EISDIR
  not_directory,       // ENOTDIR, ERROR_DIRECTORY
  bad_handle,          // EBADF, ERROR_INVALID_HANDLE
  too_many_open,       // EMFILE, ENFILE, ERROR_TOO_MANY_OPEN_FILES
  busy,                // EBUSY, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
  would_block,         // EAGAIN: a bounded queue is full; retry after a completion
  timed_out,           // ETIMEDOUT, WAIT_TIMEOUT, ERROR_TIMEOUT
  connection_refused,  // ECONNREFUSED, WSAECONNREFUSED
  connection_reset,    // ECONNRESET, EPIPE, WSAECONNRESET
  end_of_stream,       // the peer closed its side in an orderly way
  address_in_use,      // EADDRINUSE, WSAEADDRINUSE
  address_unavailable, // EADDRNOTAVAIL, WSAEADDRNOTAVAIL
  unreachable,         // ENETUNREACH, EHOSTUNREACH
  message_too_large,   // EMSGSIZE
  cancelled,           // ECANCELED, ERROR_OPERATION_ABORTED
  not_supported,       // ENOTSUP, ERROR_NOT_SUPPORTED, ERROR_CALL_NOT_IMPLEMENTED
  read_only,           // EROFS, ERROR_WRITE_PROTECT
  too_large,           // EFBIG, ERROR_FILE_TOO_LARGE
  name_too_long,       // ENAMETOOLONG, ERROR_FILENAME_EXCED_RANGE
  out_of_memory,       // ENOMEM, ERROR_NOT_ENOUGH_MEMORY, ERROR_OUTOFMEMORY
  unknown,             // anything else; the backend logs the native code
};

// A short, stable, lower_case name ("not_found"), for logs and test output.
std::string_view error_name(Error error);

// Maps a POSIX errno value. Unknown values map to Error::unknown.
Error error_from_errno(int errno_value);

// Maps a Win32 error code (GetLastError, WSAGetLastError). The numbers are fixed by
// the Windows ABI, so the mapping compiles and is tested on every platform.
Error error_from_win32(std::uint32_t win32_error);

// A value or an error. Small on purpose: std::expected is C++23.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(error) {}         // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  Error error() const { return ok() ? Error::ok : std::get<Error>(state_); }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> state_;
};

}  // namespace hamirror::io
