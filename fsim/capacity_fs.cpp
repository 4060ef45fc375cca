#include "fsim/capacity_fs.h"

#include <deque>
#include <memory>
#include <utility>

#include "io/assert.h"

namespace hamirror::fsim {
namespace {

// Walks a tree one call at a time (each step runs in the previous one's completion,
// so the stack never grows), summing the sizes of regular files.
struct Recount : std::enable_shared_from_this<Recount> {
  io::FileSystem& fs;
  std::function<void(std::uint64_t)> set_used;
  io::FileSystem::DoneFn done;
  std::deque<std::string> directories;
  std::deque<std::string> files;
  std::uint64_t total_bytes = 0;
  std::size_t names_seen = 0;

  Recount(io::FileSystem& fs_, std::function<void(std::uint64_t)> set_used_, io::FileSystem::DoneFn done_)
      : fs(fs_), set_used(std::move(set_used_)), done(std::move(done_)) {}

  void next() {
    if (!files.empty()) return stat_next_file();
    if (!directories.empty()) return list_next_directory();
    set_used(total_bytes);
    done(io::Error::ok);
  }

  void stat_next_file() {
    const std::string path = std::move(files.front());
    files.pop_front();
    fs.stat(path, [self = shared_from_this()](io::Result<io::FileStat> stat) {
      if (stat && stat->kind == io::FileKind::regular) self->total_bytes += stat->size_bytes;
      // A file removed while we walk simply no longer counts.
      if (!stat && stat.error() != io::Error::not_found) return self->done(stat.error());
      self->next();
    });
  }

  void list_next_directory() {
    const std::string dir = std::move(directories.front());
    directories.pop_front();
    fs.readdir(dir, [self = shared_from_this(), dir](io::Result<std::vector<io::DirEntry>> listing) {
      if (!listing) return self->done(listing.error());
      for (const auto& entry : *listing) {
        ++self->names_seen;
        HM_ASSERT(self->names_seen <= kMaxRecountEntries);
        const std::string path = io::join_path(dir, entry.name);
        if (entry.kind == io::FileKind::directory) self->directories.push_back(path);
        if (entry.kind == io::FileKind::regular) self->files.push_back(path);
      }
      self->next();
    });
  }
};

}  // namespace

CapacityFs::CapacityFs(io::FileSystem& inner, sim::Scheduler& scheduler, CapacityFsOptions options)
    : FileSystemWrapper(inner), scheduler_(scheduler), options_(std::move(options)), used_bytes_(options_.used_bytes) {}

bool CapacityFs::fits(std::uint64_t growth_bytes) const {
  if (growth_bytes == 0) return true;  // overwriting in place never needs new space
  return used_bytes_ <= options_.capacity_bytes && growth_bytes <= options_.capacity_bytes - used_bytes_;
}

void CapacityFs::release(std::uint64_t bytes) { used_bytes_ = bytes > used_bytes_ ? 0 : used_bytes_ - bytes; }

void CapacityFs::refuse(std::string_view what, std::uint64_t growth_bytes) {
  scheduler_.trace().record(scheduler_.now_ns(), options_.trace_name,
                            "no_space for " + std::string(what) + " +" + std::to_string(growth_bytes) + " (used " +
                                std::to_string(used_bytes_) + " of " + std::to_string(options_.capacity_bytes) + ")");
}

std::uint64_t CapacityFs::file_bytes(const io::Result<io::FileStat>& stat) {
  return stat && stat->kind == io::FileKind::regular ? stat->size_bytes : 0;
}

void CapacityFs::recount(const std::string& root, DoneFn done) {
  auto walk = std::make_shared<Recount>(inner(), [this](std::uint64_t total) { used_bytes_ = total; }, std::move(done));
  walk->directories.push_back(root);
  walk->next();
}

void CapacityFs::open(const std::string& path, io::OpenFlags flags, OpenFn done) {
  if (!flags.truncate) return inner().open(path, flags, std::move(done));
  inner().stat(path, [this, path, flags, done = std::move(done)](io::Result<io::FileStat> stat) mutable {
    const std::uint64_t freed = file_bytes(stat);
    inner().open(path, flags, [this, freed, done = std::move(done)](io::Result<io::FileHandle> opened) {
      if (opened) release(freed);
      done(std::move(opened));
    });
  });
}

void CapacityFs::write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) {
  // The caller may reuse its buffer once this returns, and the write waits for an fstat.
  write_shared(file, offset, io::SharedBytes::copy_of(bytes), std::move(done));
}

void CapacityFs::write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes data, WriteFn done) {
  // An offset that overflows is the inner file system's invalid_argument to give.
  if (offset > UINT64_MAX - data.size()) return inner().write_shared(file, offset, std::move(data), std::move(done));
  inner().fstat(file, [this, file, offset, data = std::move(data),
                       done = std::move(done)](io::Result<io::FileStat> stat) mutable {
    if (!stat) return done(stat.error());
    const std::uint64_t end = offset + data.size();
    const std::uint64_t growth = end > stat->size_bytes ? end - stat->size_bytes : 0;
    if (!fits(growth)) {
      refuse("write #" + std::to_string(file.value), growth);
      return done(io::Error::no_space);
    }
    used_bytes_ += growth;
    inner().write_shared(file, offset, std::move(data), [this, growth, done = std::move(done)](io::Result<std::uint64_t> written) {
      if (!written) release(growth);
      done(std::move(written));
    });
  });
}

void CapacityFs::truncate(io::FileHandle file, std::uint64_t size_bytes, DoneFn done) {
  inner().fstat(file, [this, file, size_bytes, done = std::move(done)](io::Result<io::FileStat> stat) mutable {
    if (!stat) return done(stat.error());
    const std::uint64_t old_size = stat->size_bytes;
    const std::uint64_t growth = size_bytes > old_size ? size_bytes - old_size : 0;
    if (!fits(growth)) {
      refuse("truncate #" + std::to_string(file.value), growth);
      return done(io::Error::no_space);
    }
    used_bytes_ += growth;
    inner().truncate(file, size_bytes, [this, growth, old_size, size_bytes, done = std::move(done)](io::Error error) {
      if (error != io::Error::ok) release(growth);
      if (error == io::Error::ok && size_bytes < old_size) release(old_size - size_bytes);
      done(error);
    });
  });
}

void CapacityFs::rename(const std::string& from, const std::string& to, DoneFn done) {
  if (from == to) return inner().rename(from, to, std::move(done));
  inner().stat(to, [this, from, to, done = std::move(done)](io::Result<io::FileStat> stat) mutable {
    const std::uint64_t freed = file_bytes(stat);  // a replaced target's space comes back
    inner().rename(from, to, [this, freed, done = std::move(done)](io::Error error) {
      if (error == io::Error::ok) release(freed);
      done(error);
    });
  });
}

void CapacityFs::unlink(const std::string& path, DoneFn done) {
  inner().stat(path, [this, path, done = std::move(done)](io::Result<io::FileStat> stat) mutable {
    const std::uint64_t freed = file_bytes(stat);
    inner().unlink(path, [this, freed, done = std::move(done)](io::Error error) {
      if (error == io::Error::ok) release(freed);
      done(error);
    });
  });
}

}  // namespace hamirror::fsim
