// Files and directories, asynchronous so that libuv's thread pool fits.
//
// Paths are absolute, in the platform's form ("/var/lib/x", "C:\\data\\x").
//
// Contract (every backend):
// - Every call completes exactly once through its callback, on the node's event loop
//   and never inside the call itself. Calls on one FileHandle complete in the order
//   they were issued only if the caller waits for each completion; issue one at a
//   time where order matters.
// - Data passed to write() is copied before the call returns (write_shared() keeps a
//   reference to its immutable bytes instead).
// - Durability: data written to a file is durable once fsync() on it completed with
//   ok. A created, renamed or unlinked directory entry is durable once fsync_dir()
//   on its parent directory completed with ok (on Windows rename() is write-through,
//   see platform/). Until then a crash may keep or lose each unsynced write, whole
//   or torn.
// - The FileSystem must outlive its pending calls; a FileHandle must be closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "io/assert.h"
#include "io/bytes.h"
#include "io/error.h"
#include "io/shared_bytes.h"

namespace hamirror::io {

struct FileHandle {
  std::uint64_t value = 0;
  friend bool operator==(const FileHandle&, const FileHandle&) = default;
};

struct OpenFlags {
  bool read = true;
  bool write = false;
  bool create = false;     // create if missing
  bool exclusive = false;  // with create: fail with already_exists if present
  bool truncate = false;
};

enum class FileKind : std::uint8_t { regular, directory, other };

struct FileStat {
  FileKind kind = FileKind::other;
  std::uint64_t size_bytes = 0;
  std::int64_t mtime_ns = 0;  // wall-clock ns since the Unix epoch
  std::uint32_t mode = 0;     // POSIX permission bits (Windows: approximated)
};

struct DirEntry {
  std::string name;  // no path, never "." or ".."
  FileKind kind = FileKind::other;
  friend bool operator==(const DirEntry&, const DirEntry&) = default;
  friend auto operator<=>(const DirEntry&, const DirEntry&) = default;
};

// A byte range of a file, for read_ranges().
struct FileRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// What read_ranges() found: the file's stat and the bytes of each range, from one open.
struct RangesRead {
  FileStat stat;
  std::vector<Bytes> chunks;  // one per range asked, in order, cut at the end of the file
};

// Ranges read_ranges() takes in one call.
constexpr std::size_t kMaxReadRanges = 64;

// One range's bytes for write_ranges(), written at `offset`.
struct RangeWrite {
  std::uint64_t offset = 0;
  SharedBytes bytes;
};

// Ranges write_ranges() takes in one call.
constexpr std::size_t kMaxWriteRanges = 64;

// What write_batch() did: its first `count` writes went whole, in order; `error` is
// why the next one failed, or, every write gone, why the fsync asked for failed (ok
// when all went).
struct BatchWritten {
  std::size_t count = 0;
  Error error = Error::ok;
};

// A file's ranges that will be read soon, for will_read().
struct ReadAhead {
  std::string path;
  std::vector<FileRange> ranges;
};

// Files will_read() takes in one call.
constexpr std::size_t kMaxReadAheadFiles = 64;

class FileSystem {
 public:
  using DoneFn = std::function<void(Error)>;
  using OpenFn = std::function<void(Result<FileHandle>)>;
  using ReadFn = std::function<void(Result<Bytes>)>;
  using WriteFn = std::function<void(Result<std::uint64_t>)>;  // bytes written
  using StatFn = std::function<void(Result<FileStat>)>;
  using ReadDirFn = std::function<void(Result<std::vector<DirEntry>>)>;  // sorted by name
  using ReadRangesFn = std::function<void(Result<RangesRead>)>;

  virtual ~FileSystem() = default;
  FileSystem() = default;
  FileSystem(const FileSystem&) = delete;
  FileSystem& operator=(const FileSystem&) = delete;

  virtual void open(const std::string& path, OpenFlags flags, OpenFn done) = 0;
  virtual void close(FileHandle file, DoneFn done) = 0;
  // Reads up to size bytes at offset; fewer only at end of file.
  virtual void read(FileHandle file, std::uint64_t offset, std::uint64_t size, ReadFn done) = 0;
  virtual void write(FileHandle file, std::uint64_t offset, ByteView bytes, WriteFn done) = 0;
  // As write(), for bytes that are shared and never change (a write op's payload): a
  // backend that holds written bytes until it writes them keeps a reference to these
  // instead of a copy. The default copies, as write() does, so a wrapper that overrides
  // write() and not this one still sees every write.
  virtual void write_shared(FileHandle file, std::uint64_t offset, SharedBytes bytes, WriteFn done) {
    write(file, offset, bytes.view(), std::move(done));
  }
  // Writes each range through an open handle, one after the other, and stops at the
  // first that fails: the writes a caller holds queued for one file, in one call that a
  // backend may make one round trip to its thread pool (an applier behind a stream of
  // 64 KiB writes paid a hand-over to the pool and back for each). At least one range,
  // at most kMaxWriteRanges; a range's bytes are kept as write_shared() keeps them. The
  // default calls write_shared() per range, each once the one before completed, so a
  // wrapper that overrides it (or write()) sees every write, and a simulated crash
  // cancels the chain with its completion. With `then` fsync, the file is fsynced once
  // every write went (not after a failed one), in the same call: a writer that asks for
  // a write and its fsync together pays one round trip, not two (the default chains
  // fsync() on this FileSystem).
  using BatchFn = std::function<void(BatchWritten)>;
  enum class AfterBatch : std::uint8_t { nothing, fsync };
  virtual void write_batch(FileHandle file, std::vector<RangeWrite> writes, AfterBatch then, BatchFn done);
  virtual void fsync(FileHandle file, DoneFn done) = 0;
  virtual void truncate(FileHandle file, std::uint64_t size_bytes, DoneFn done) = 0;
  virtual void fstat(FileHandle file, StatFn done) = 0;
  // Opens path for reading, fstats it, reads each range (at most kMaxReadRanges; none
  // past the size fstat gave, fewer bytes only at end of file) and closes it: open,
  // fstat, read per range and close in one call, which a backend may make one round
  // trip to its thread pool (a reintegration source reads ~900 small files this way).
  // A file that is not regular fails with is_directory and reads nothing; the first
  // error of a read fails the call; the file is closed whatever happened. The default
  // chains those calls on this FileSystem (the reads side by side), so a wrapper that
  // overrides them and not this one still sees each, and a simulated disk's faults
  // and crashes apply to each as they did.
  virtual void read_ranges(const std::string& path, std::vector<FileRange> ranges, ReadRangesFn done);
  // Opens the file at path to write (it must exist: never created, never truncated),
  // writes each range (at least one, at most kMaxWriteRanges) and closes it: the
  // writing twin of read_ranges(), one round trip to the thread pool where a backend
  // can (a reintegration target writes ~900 files this way). The first error fails the
  // call (ranges before it may be written; a directory fails its open); the file is
  // closed whatever happened. The default chains open, write_shared per range (side
  // by side) and close on this FileSystem, as read_ranges() does.
  virtual void write_ranges(const std::string& path, std::vector<RangeWrite> writes, DoneFn done);
  // A hint: these files' ranges (at most kMaxReadAheadFiles files, kMaxReadRanges
  // ranges each) will be read soon. A backend may start reading them into the OS's
  // cache now, so that the later reads do not wait for the disk one by one (a
  // reintegration source reads ~900 cold files a few at a time). Nothing is reported
  // and nothing changes: errors (a missing file, a directory) are ignored. The default
  // does nothing, nor does a backend without such a call (Windows, the simulator).
  virtual void will_read(std::vector<ReadAhead> files) {
    HM_ASSERT(files.size() <= kMaxReadAheadFiles);
  }

  virtual void stat(const std::string& path, StatFn done) = 0;
  virtual void rename(const std::string& from, const std::string& to, DoneFn done) = 0;
  virtual void unlink(const std::string& path, DoneFn done) = 0;
  virtual void mkdir(const std::string& path, DoneFn done) = 0;
  virtual void rmdir(const std::string& path, DoneFn done) = 0;
  virtual void readdir(const std::string& path, ReadDirFn done) = 0;
  virtual void fsync_dir(const std::string& path, DoneFn done) = 0;
  // Makes everything written so far on the file system that holds `path` durable —
  // every file's data and every directory's entries, whoever wrote them — with one
  // flush where fsync and fsync_dir would take one per name (Linux syncfs: one journal
  // commit). A caller with many names to make durable prefers it. not_supported where
  // there is no such call (Windows; and the default, which asks the backend for a stat
  // of `path` first, so that done never runs inside the call): the caller syncs name
  // by name. Any other error is the file system's, as an fsync's would be.
  virtual void sync_file_system(const std::string& path, DoneFn done);
  virtual void set_mtime(const std::string& path, std::int64_t mtime_ns, DoneFn done) = 0;
  // Sets the permission bits of a file or directory to `mode` (only bits in 07777;
  // others are invalid_argument). Metadata like the mtime: durable once the file, or
  // the directory holding the entry, is synced. Windows keeps no POSIX mode: a file's
  // read-only attribute follows the owner-write bit (0200), as _chmod does, and stat
  // reports that approximation; a directory is reported writable whatever was set.
  virtual void set_mode(const std::string& path, std::uint32_t mode, DoneFn done) = 0;
};

// Joins a directory and a name with the separator the path already uses.
std::string join_path(const std::string& directory, const std::string& name);
// The parent directory of an absolute path ("/a/b" -> "/a", "C:\\a" -> "C:\\").
std::string parent_path(const std::string& path);

}  // namespace hamirror::io
