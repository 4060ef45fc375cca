// The requests served on FUSE's thread straight from the backing directory.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "fuse/fuse_requests.h"
#include "fuse/hidden_area.h"

namespace hamirror::fuse {
namespace {

// readdir answers from a listing taken at opendir, so offsets stay valid while the
// directory changes.
struct DirListing {
  struct Item {
    std::string name;
    ino_t ino;
    mode_t type;
  };
  std::vector<Item> items;
};

DirListing* listing_of(fuse_file_info* fi) { return reinterpret_cast<DirListing*>(fi->fh); }

}  // namespace

void FuseRequests::lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (is_hidden_entry(parent, name)) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  std::string path;
  if (!child_path(req, parent, name, path)) return;
  fuse_entry_param entry;
  if (const int error = fill_entry(path, entry); error != 0) {
    fuse_reply_err(req, error);
    return;
  }
  fuse_reply_entry(req, &entry);
}

void FuseRequests::forget(fuse_ino_t ino, std::uint64_t count) { table_.forget(ino, count); }

void FuseRequests::getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  struct stat attr {};
  // Through the open file when there is one: it is the same file after a rename or an
  // unlink.
  if (fi != nullptr) {  // the kernel passes one for regular files only
    if (::fstat(static_cast<int>(fi->fh), &attr) != 0) {
      fuse_reply_err(req, errno);
      return;
    }
  } else {
    std::string path;
    if (!path_of(req, ino, path)) return;
    if (::lstat(backing(path).c_str(), &attr) != 0) {
      fuse_reply_err(req, errno);
      return;
    }
  }
  fuse_reply_attr(req, &attr, kAttrTimeoutS);
}

void FuseRequests::readlink(fuse_req_t req, fuse_ino_t ino) {
  std::string path;
  if (!path_of(req, ino, path)) return;
  std::vector<char> target(PATH_MAX + 1);
  const ssize_t length = ::readlink(backing(path).c_str(), target.data(), target.size() - 1);
  if (length < 0) {
    fuse_reply_err(req, errno);
    return;
  }
  target[static_cast<std::size_t>(length)] = '\0';
  fuse_reply_readlink(req, target.data());
}

void FuseRequests::open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY && !sink_.writable()) {
    fuse_reply_err(req, EROFS);
    return;
  }
  std::string path;
  if (!path_of(req, ino, path)) return;
  // Read-only: writes never go through this descriptor but through the sink.
  const int fd = ::open(backing(path).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    fuse_reply_err(req, errno);
    return;
  }
  table_.opened(ino);
  fi->fh = static_cast<std::uint64_t>(fd);
  // O_DIRECT cannot reach the backing file (FUSE's buffers are not aligned); the
  // application still bypasses the page cache.
  fi->direct_io = (fi->flags & O_DIRECT) != 0 ? 1 : 0;
  fi->keep_cache = 0;
  if (fuse_reply_open(req, fi) != 0) {  // the open was interrupted: no release follows
    ::close(fd);
    table_.released(ino);
  }
}

void FuseRequests::read(fuse_req_t req, size_t size, off_t off, fuse_file_info* fi) {
  std::vector<char> data(size);
  const ssize_t got = ::pread(static_cast<int>(fi->fh), data.data(), size, off);
  if (got < 0) {
    fuse_reply_err(req, errno);
    return;
  }
  fuse_reply_buf(req, data.data(), static_cast<size_t>(got));
}

void FuseRequests::flush(fuse_req_t req) { fuse_reply_err(req, 0); }

void FuseRequests::release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  ::close(static_cast<int>(fi->fh));
  if (const auto hidden = table_.released(ino)) {
    submit_unanswered({op(core::OpKind::unlink, *hidden)}, "removing an unlinked file at its last close");
  }
  fuse_reply_err(req, 0);
}

void FuseRequests::opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  std::string path;
  if (!path_of(req, ino, path)) return;
  DIR* dir = ::opendir(backing(path).c_str());
  if (dir == nullptr) {
    fuse_reply_err(req, errno);
    return;
  }
  auto listing = std::make_unique<DirListing>();
  while (const dirent* entry = ::readdir(dir)) {
    if (is_hidden_entry(ino, entry->d_name)) continue;
    listing->items.push_back({entry->d_name, entry->d_ino, static_cast<mode_t>(DTTOIF(entry->d_type))});
  }
  ::closedir(dir);
  fi->fh = reinterpret_cast<std::uint64_t>(listing.get());
  if (fuse_reply_open(req, fi) == 0) listing.release();
}

void FuseRequests::readdir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  const DirListing& listing = *listing_of(fi);
  std::vector<char> buffer(size);
  std::size_t used = 0;
  for (auto index = static_cast<std::size_t>(off); index < listing.items.size(); ++index) {
    const auto& item = listing.items[index];
    struct stat attr {};
    attr.st_ino = item.ino;
    attr.st_mode = item.type;
    const std::size_t needed = fuse_add_direntry(req, buffer.data() + used, size - used, item.name.c_str(), &attr,
                                                 static_cast<off_t>(index + 1));
    if (needed > size - used) break;
    used += needed;
  }
  fuse_reply_buf(req, buffer.data(), used);
}

void FuseRequests::releasedir(fuse_req_t req, fuse_file_info* fi) {
  delete listing_of(fi);
  fuse_reply_err(req, 0);
}

void FuseRequests::statfs(fuse_req_t req) {
  struct statvfs stats {};
  if (::statvfs(backing_dir_.c_str(), &stats) != 0) {
    fuse_reply_err(req, errno);
    return;
  }
  fuse_reply_statfs(req, &stats);
}

}  // namespace hamirror::fuse
