#include "fuse/errno_map.h"

#include <cerrno>

namespace hamirror::fuse {

int errno_from_error(io::Error error) {
  switch (error) {
    case io::Error::ok: return 0;
    case io::Error::not_found: return ENOENT;
    case io::Error::already_exists: return EEXIST;
    case io::Error::permission_denied: return EACCES;
    case io::Error::no_space: return ENOSPC;
    case io::Error::io_error: return EIO;
    case io::Error::invalid_argument: return EINVAL;
    case io::Error::not_empty: return ENOTEMPTY;
    case io::Error::is_directory: return EISDIR;
    case io::Error::not_directory: return ENOTDIR;
    case io::Error::bad_handle: return EBADF;
    case io::Error::too_many_open: return EMFILE;
    case io::Error::busy: return EBUSY;
    // The frontend retries would_block itself; if it ever surfaces, the application
    // may retry too.
    case io::Error::would_block: return EAGAIN;
    // A write that could not be replicated (the peer was lost, the write path was
    // stopped): applications handle EIO from write(2) and fsync(2); network errnos
    // such as ECONNRESET or ETIMEDOUT mean nothing to them there.
    case io::Error::timed_out:
    case io::Error::connection_refused:
    case io::Error::connection_reset:
    case io::Error::end_of_stream:
    case io::Error::address_in_use:
    case io::Error::address_unavailable:
    case io::Error::unreachable:
    case io::Error::message_too_large:
    case io::Error::cancelled: return EIO;
    case io::Error::not_supported: return ENOTSUP;
    case io::Error::read_only: return EROFS;
    case io::Error::too_large: return EFBIG;
    case io::Error::name_too_long: return ENAMETOOLONG;
    case io::Error::out_of_memory: return ENOMEM;
    case io::Error::unknown: return EIO;
  }
  return EIO;
}

}  // namespace hamirror::fuse
