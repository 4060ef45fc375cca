#include "io/atomic_file.h"

#include <deque>
#include <memory>
#include <utility>

#include "io/assert.h"

namespace hamirror::io {
namespace {

// One replacement in flight; each step's callback runs the next one.
struct AtomicWrite : std::enable_shared_from_this<AtomicWrite> {
  FileSystem& fs;
  std::string path;
  std::string temp_path;
  Bytes contents;
  FileSystem::DoneFn done;
  FileHandle file;

  AtomicWrite(FileSystem& fs_, std::string path_, ByteView contents_, FileSystem::DoneFn done_)
      : fs(fs_), path(std::move(path_)), temp_path(path + kAtomicTempSuffix),
        contents(contents_.begin(), contents_.end()), done(std::move(done_)) {}

  void start() {
    OpenFlags flags{.read = false, .write = true, .create = true, .exclusive = false, .truncate = true};
    fs.open(temp_path, flags, [self = shared_from_this()](Result<FileHandle> opened) {
      if (!opened) return self->finish(opened.error());
      self->file = *opened;
      self->write_contents();
    });
  }

  void write_contents() {
    fs.write(file, 0, contents, [self = shared_from_this()](Result<std::uint64_t> written) {
      if (!written) return self->close_then_finish(written.error());
      HM_ASSERT(*written == self->contents.size());
      self->fs.fsync(self->file, [self](Error synced) {
        if (synced != Error::ok) return self->close_then_finish(synced);
        self->fs.close(self->file, [self](Error closed) {
          if (closed != Error::ok) return self->finish(closed);
          self->rename_over_target();
        });
      });
    });
  }

  void rename_over_target() {
    fs.rename(temp_path, path, [self = shared_from_this()](Error renamed) {
      if (renamed != Error::ok) return self->finish(renamed);
      self->fs.fsync_dir(parent_path(self->path), [self](Error synced) { self->finish(synced); });
    });
  }

  void close_then_finish(Error error) {
    fs.close(file, [self = shared_from_this(), error](Error) { self->finish(error); });
  }

  void finish(Error error) { done(error); }
};

struct WholeRead : std::enable_shared_from_this<WholeRead> {
  FileSystem& fs;
  FileSystem::ReadFn done;
  FileHandle file;
  WholeRead(FileSystem& fs_, FileSystem::ReadFn done_) : fs(fs_), done(std::move(done_)) {}

  void start(const std::string& path, std::uint64_t max_bytes) {
    fs.open(path, OpenFlags{}, [self = shared_from_this(), max_bytes](Result<FileHandle> opened) {
      if (!opened) return self->done(opened.error());
      self->file = *opened;
      self->fs.fstat(self->file, [self, max_bytes](Result<FileStat> stat) {
        if (!stat) return self->close_with(stat.error());
        if (stat->size_bytes > max_bytes) return self->close_with(Error::invalid_argument);
        self->fs.read(self->file, 0, stat->size_bytes, [self](Result<Bytes> data) {
          self->fs.close(self->file, [self, data = std::move(data)](Error) mutable { self->done(std::move(data)); });
        });
      });
    });
  }

  void close_with(Error error) {
    fs.close(file, [self = shared_from_this(), error](Error) { self->done(error); });
  }
};

}  // namespace

void write_file_atomically(FileSystem& fs, const std::string& path, ByteView contents, FileSystem::DoneFn done) {
  std::make_shared<AtomicWrite>(fs, path, contents, std::move(done))->start();
}

struct AtomicFile::Queue : std::enable_shared_from_this<AtomicFile::Queue> {
  struct Pending {
    Bytes contents;
    FileSystem::DoneFn done;
  };
  FileSystem& fs;
  std::string path;
  std::deque<Pending> waiting;  // the front one is in flight
  Queue(FileSystem& fs_, std::string path_) : fs(fs_), path(std::move(path_)) {}

  void start_front() {
    write_file_atomically(fs, path, waiting.front().contents, [self = shared_from_this()](Error result) {
      auto done = std::move(self->waiting.front().done);
      self->waiting.pop_front();
      if (!self->waiting.empty()) self->start_front();
      done(result);
    });
  }
};

AtomicFile::AtomicFile(FileSystem& fs, std::string path) : queue_(std::make_shared<Queue>(fs, std::move(path))) {}

Error AtomicFile::write(ByteView contents, FileSystem::DoneFn done) {
  HM_ASSERT(done);
  if (queue_->waiting.size() > kMaxQueuedWrites) return Error::would_block;
  queue_->waiting.push_back({Bytes(contents.begin(), contents.end()), std::move(done)});
  if (queue_->waiting.size() == 1) queue_->start_front();
  return Error::ok;
}

const std::string& AtomicFile::path() const { return queue_->path; }

void read_whole_file(FileSystem& fs, const std::string& path, std::uint64_t max_bytes, FileSystem::ReadFn done) {
  std::make_shared<WholeRead>(fs, std::move(done))->start(path, max_bytes);
}

}  // namespace hamirror::io
