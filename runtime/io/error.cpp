#include "io/error.h"

#include <cerrno>

namespace hamirror::io {

std::string_view error_name(Error error) {
  switch (error) {
    case Error::ok: return "ok";
    case Error::not_found: return "not_found";
    case Error::already_exists: return "already_exists";
    case Error::permission_denied: return "permission_denied";
    case Error::no_space: return "no_space";
    case Error::io_error: return "io_error";
    case Error::invalid_argument: return "invalid_argument";
    case Error::not_empty: return "not_empty";
    case Error::is_directory: return "is_directory";
    case Error::not_directory: return "not_directory";
    case Error::bad_handle: return "bad_handle";
    case Error::too_many_open: return "too_many_open";
    case Error::busy: return "busy";
    case Error::would_block: return "would_block";
    case Error::timed_out: return "timed_out";
    case Error::connection_refused: return "connection_refused";
    case Error::connection_reset: return "connection_reset";
    case Error::end_of_stream: return "end_of_stream";
    case Error::address_in_use: return "address_in_use";
    case Error::address_unavailable: return "address_unavailable";
    case Error::unreachable: return "unreachable";
    case Error::message_too_large: return "message_too_large";
    case Error::cancelled: return "cancelled";
    case Error::not_supported: return "not_supported";
    case Error::read_only: return "read_only";
    case Error::too_large: return "too_large";
    case Error::name_too_long: return "name_too_long";
    case Error::out_of_memory: return "out_of_memory";
    case Error::unknown: return "unknown";
  }
  return "unknown";
}

// errno macros exist on every platform we build for (mingw's errno.h defines the
// POSIX ones libuv and the C library use), so this one switch serves all.
Error error_from_errno(int errno_value) {
  switch (errno_value) {
    case 0: return Error::ok;
    case ENOENT: return Error::not_found;
    case EEXIST: return Error::already_exists;
    case EACCES:
    case EPERM: return Error::permission_denied;
    case ENOSPC: return Error::no_space;
    case EIO: return Error::io_error;
    case EINVAL: return Error::invalid_argument;
    case ENOTEMPTY: return Error::not_empty;
    case EISDIR: return Error::is_directory;
    case ENOTDIR: return Error::not_directory;
    case EBADF: return Error::bad_handle;
    case EMFILE:
    case ENFILE: return Error::too_many_open;
    case EBUSY: return Error::busy;
    case EAGAIN: return Error::would_block;
    case ETIMEDOUT: return Error::timed_out;
    case ECONNREFUSED: return Error::connection_refused;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED: return Error::connection_reset;
    case EADDRINUSE: return Error::address_in_use;
    case EADDRNOTAVAIL: return Error::address_unavailable;
    case ENETUNREACH:
    case EHOSTUNREACH: return Error::unreachable;
    case EMSGSIZE: return Error::message_too_large;
    case ECANCELED: return Error::cancelled;
    case ENOTSUP: return Error::not_supported;
    case ENOSYS: return Error::not_supported;
    case EROFS: return Error::read_only;
    case EFBIG: return Error::too_large;
    case ENAMETOOLONG: return Error::name_too_long;
    case ENOMEM: return Error::out_of_memory;
    default: return Error::unknown;
  }
}

Error error_from_win32(std::uint32_t win32_error) {
  // Values from winerror.h / winsock2.h; fixed by the Windows ABI.
  switch (win32_error) {
    case 0: return Error::ok;                       // ERROR_SUCCESS
    case 2:                                         // ERROR_FILE_NOT_FOUND
    case 3:                                         // ERROR_PATH_NOT_FOUND
    case 1060: return Error::not_found;             // ERROR_SERVICE_DOES_NOT_EXIST
    case 80:                                        // ERROR_FILE_EXISTS
    case 183:                                       // ERROR_ALREADY_EXISTS
    case 1073: return Error::already_exists;        // ERROR_SERVICE_EXISTS
    case 5: return Error::permission_denied;        // ERROR_ACCESS_DENIED
    case 39:                                        // ERROR_HANDLE_DISK_FULL
    case 112: return Error::no_space;               // ERROR_DISK_FULL
    case 23:                                        // ERROR_CRC
    case 1117: return Error::io_error;              // ERROR_IO_DEVICE
    case 87: return Error::invalid_argument;        // ERROR_INVALID_PARAMETER
    case 145: return Error::not_empty;              // ERROR_DIR_NOT_EMPTY
    case 267: return Error::not_directory;          // ERROR_DIRECTORY
    case 6: return Error::bad_handle;               // ERROR_INVALID_HANDLE
    case 4: return Error::too_many_open;            // ERROR_TOO_MANY_OPEN_FILES
    case 32:                                        // ERROR_SHARING_VIOLATION
    case 33:                                        // ERROR_LOCK_VIOLATION
    case 1056:                                      // ERROR_SERVICE_ALREADY_RUNNING
    case 1061: return Error::busy;                  // ERROR_SERVICE_CANNOT_ACCEPT_CTRL
    case 258:                                       // WAIT_TIMEOUT
    case 1460:                                      // ERROR_TIMEOUT
    case 1053:                                      // ERROR_SERVICE_REQUEST_TIMEOUT
    case 10060: return Error::timed_out;            // WSAETIMEDOUT
    case 1225:                                      // ERROR_CONNECTION_REFUSED
    case 10061: return Error::connection_refused;   // WSAECONNREFUSED
    case 10054:                                     // WSAECONNRESET
    case 10053:                                     // WSAECONNABORTED
    case 109: return Error::connection_reset;       // ERROR_BROKEN_PIPE
    case 10048: return Error::address_in_use;       // WSAEADDRINUSE
    case 10049: return Error::address_unavailable;  // WSAEADDRNOTAVAIL
    case 10051:                                     // WSAENETUNREACH
    case 10065: return Error::unreachable;          // WSAEHOSTUNREACH
    case 10040: return Error::message_too_large;    // WSAEMSGSIZE
    case 995:                                       // ERROR_OPERATION_ABORTED
    case 1223: return Error::cancelled;             // ERROR_CANCELLED
    case 50:                                        // ERROR_NOT_SUPPORTED
    case 120: return Error::not_supported;          // ERROR_CALL_NOT_IMPLEMENTED
    case 10035: return Error::would_block;          // WSAEWOULDBLOCK
    case 19: return Error::read_only;               // ERROR_WRITE_PROTECT
    case 223: return Error::too_large;              // ERROR_FILE_TOO_LARGE
    case 206: return Error::name_too_long;          // ERROR_FILENAME_EXCED_RANGE
    case 8:                                         // ERROR_NOT_ENOUGH_MEMORY
    case 14: return Error::out_of_memory;           // ERROR_OUTOFMEMORY
    default: return Error::unknown;
  }
}

}  // namespace hamirror::io
