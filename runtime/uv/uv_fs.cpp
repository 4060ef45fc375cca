// io::FileSystem on uv_fs_* (libuv's thread pool). Renames and directory flushes go
// through runtime/platform, where Windows gets its write-through equivalents.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>

#include "io/assert.h"
#include "platform/platform.h"
#include "uv/uv_backend.h"
#include "uv/uv_util.h"

namespace hamirror::uv {
namespace {

constexpr int kCreateMode = 0644;
// One uv_fs_read/uv_fs_write moves at most this much: uv_buf_t lengths are 32-bit.
constexpr std::uint64_t kMaxChunkBytes = std::uint64_t{1} << 30;
constexpr std::uint64_t kMaxOffset = static_cast<std::uint64_t>(INT64_MAX) - kMaxChunkBytes;
constexpr int kMkdirMode = 0755;
constexpr std::uint32_t kPermissionBits = 07777;  // what set_mode accepts

// One uv_fs request and whatever must live until its callback.
template <typename Done>
struct FsReq {
  uv_fs_t req;
  Done done;
  io::Bytes buffer;      // reads: the bytes read
  io::SharedBytes source;  // writes: the bytes to write, kept by reference
  std::uint64_t offset = 0;
  std::uint64_t remaining = 0;
  uv_file file = -1;
  void* owner = nullptr;  // the UvFileSystem, for multi-step reads and writes
};

template <typename Done>
FsReq<Done>* new_req(Done done) {
  auto* req = new FsReq<Done>{{}, std::move(done), {}, {}, 0, 0, -1, nullptr};
  req->req.data = req;
  return req;
}

template <typename Done>
FsReq<Done>* req_of(uv_fs_t* fs) {
  return static_cast<FsReq<Done>*>(fs->data);
}

// Frees the request and returns its callback (so it can run after cleanup).
template <typename Done>
Done finish(uv_fs_t* fs) {
  std::unique_ptr<FsReq<Done>> req(req_of<Done>(fs));
  uv_fs_req_cleanup(&req->req);
  return std::move(req->done);
}

// A call that failed before reaching libuv still completes on the loop.
template <typename Done, typename Value>
void fail_soon(uv_loop_t* loop, FsReq<Done>* req, Value value) {
  std::unique_ptr<FsReq<Done>> owned(req);
  post(loop, [done = std::move(owned->done), value]() mutable { done(value); });
}

io::FileStat to_file_stat(const uv_stat_t& st) {
  io::FileStat out;
  const auto type = st.st_mode & S_IFMT;
  out.kind = type == S_IFREG ? io::FileKind::regular : type == S_IFDIR ? io::FileKind::directory : io::FileKind::other;
  out.size_bytes = st.st_size;
  out.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * io::kNsPerS + st.st_mtim.tv_nsec;
  out.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  return out;
}

int to_uv_flags(io::OpenFlags flags) {
  int out = flags.write ? (flags.read ? UV_FS_O_RDWR : UV_FS_O_WRONLY) : UV_FS_O_RDONLY;
  if (flags.create) out |= UV_FS_O_CREAT;
  if (flags.create && flags.exclusive) out |= UV_FS_O_EXCL;
  if (flags.truncate) out |= UV_FS_O_TRUNC;
  return out;
}

class UvFileSystem final : public io::FileSystem {
 public:
  explicit UvFileSystem(uv_loop_t* loop) : loop_(loop) {}

  void open(const std::string& path, io::OpenFlags flags, OpenFn done) override {
    auto* req = new_req(std::move(done));
    submit(req, uv_fs_open(loop_, &req->req, path.c_str(), to_uv_flags(flags), kCreateMode, [](uv_fs_t* fs) {
      const auto result = fs->result;
      auto done = finish<OpenFn>(fs);
      if (result < 0) return done(error_from_uv(static_cast<int>(result)));
      done(io::FileHandle{static_cast<std::uint64_t>(result)});
    }));
  }

  void close(io::FileHandle file, DoneFn done) override {
    auto* req = new_req(std::move(done));
    submit(req, uv_fs_close(loop_, &req->req, to_file(file), &UvFileSystem::done_status));
  }

  void read(io::FileHandle file, std::uint64_t offset, std::uint64_t size, ReadFn done) override {
    auto* req = new_req(std::move(done));
    req->buffer.resize(size);
    req->file = to_file(file);
    req->offset = offset;
    req->remaining = size;
    req->owner = this;
    read_more(req, 0, Caller::call);
  }

  void write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) override {
    write_shared(file, offset, io::SharedBytes::copy_of(bytes), std::move(done));  // the caller may reuse its buffer
  }

  void write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes, WriteFn done) override {
    auto* req = new_req(std::move(done));
    req->remaining = bytes.size();
    req->source = std::move(bytes);
    req->file = to_file(file);
    req->offset = offset;
    req->owner = this;
    write_more(req, 0, Caller::call);
  }

  // One thread-pool job for every write of the batch, and the fsync after them.
  void write_batch(io::FileHandle file, std::vector<io::RangeWrite> writes, AfterBatch then, BatchFn done) override {
    HM_ASSERT(!writes.empty() && writes.size() <= io::kMaxWriteRanges);
    auto result = std::make_shared<io::BatchWritten>();
    run_blocking(loop_, [result, file = to_file(file), writes = std::move(writes), then] {
      *result = write_open_file(file, writes);
      if (then == AfterBatch::fsync && result->error == io::Error::ok) result->error = fsync_now(file);
    }, [result, done = std::move(done)] { done(*result); });
  }

  void fsync(io::FileHandle file, DoneFn done) override {
    auto* req = new_req(std::move(done));
    submit(req, uv_fs_fsync(loop_, &req->req, to_file(file), &UvFileSystem::done_status));
  }

  void truncate(io::FileHandle file, std::uint64_t size_bytes, DoneFn done) override {
    auto* req = new_req(std::move(done));
    submit(req, uv_fs_ftruncate(loop_, &req->req, to_file(file), static_cast<std::int64_t>(size_bytes),
                                &UvFileSystem::done_status));
  }

  void fstat(io::FileHandle file, StatFn done) override {
    auto* req = new_req(std::move(done));
    submit(req, uv_fs_fstat(loop_, &req->req, to_file(file), &UvFileSystem::done_stat));
  }

  // One thread-pool job for open, fstat, the reads and close (libuv's calls made
  // synchronously on the worker), instead of a round trip through the pool for each.
  void read_ranges(const std::string& path, std::vector<io::FileRange> ranges, ReadRangesFn done) override {
    HM_ASSERT(!ranges.empty() && ranges.size() <= io::kMaxReadRanges);
    auto result = std::make_shared<io::Result<io::RangesRead>>(io::Error::io_error);
    run_blocking(loop_, [result, path, ranges = std::move(ranges)] { *result = read_ranges_now(path, ranges); },
                 [result, done = std::move(done)] { done(std::move(*result)); });
  }

  // One thread-pool job for open, the writes and close, as read_ranges().
  void write_ranges(const std::string& path, std::vector<io::RangeWrite> writes, DoneFn done) override {
    HM_ASSERT(!writes.empty() && writes.size() <= io::kMaxWriteRanges);
    auto result = std::make_shared<io::Error>(io::Error::io_error);
    run_blocking(loop_, [result, path, writes = std::move(writes)] { *result = write_ranges_now(path, writes); },
                 [result, done = std::move(done)] { done(*result); });
  }

  void stat(const std::string& path, StatFn done) override {
    auto* req = new_req(std::move(done));
    submit(req, uv_fs_stat(loop_, &req->req, path.c_str(), &UvFileSystem::done_stat));
  }

  void rename(const std::string& from, const std::string& to, DoneFn done) override {
    blocking(std::move(done), [from, to] { return platform::durable_rename(from, to); });
  }

  void unlink(const std::string& path, DoneFn done) override {
    auto* req = new_req(std::move(done));
    submit(req, uv_fs_unlink(loop_, &req->req, path.c_str(), &UvFileSystem::done_status));
  }

  void mkdir(const std::string& path, DoneFn done) override {
    auto* req = new_req(std::move(done));
    submit(req, uv_fs_mkdir(loop_, &req->req, path.c_str(), kMkdirMode, &UvFileSystem::done_status));
  }

  void rmdir(const std::string& path, DoneFn done) override {
    auto* req = new_req(std::move(done));
    submit(req, uv_fs_rmdir(loop_, &req->req, path.c_str(), &UvFileSystem::done_status));
  }

  void readdir(const std::string& path, ReadDirFn done) override {
    auto* req = new_req(std::move(done));
    submit(req, uv_fs_scandir(loop_, &req->req, path.c_str(), 0, [](uv_fs_t* fs) {
      std::vector<io::DirEntry> entries;
      const auto result = fs->result;
      uv_dirent_t dirent;
      if (result >= 0) {
        while (uv_fs_scandir_next(fs, &dirent) != UV_EOF) {
          const auto kind = dirent.type == UV_DIRENT_FILE  ? io::FileKind::regular
                            : dirent.type == UV_DIRENT_DIR ? io::FileKind::directory
                                                           : io::FileKind::other;
          entries.push_back({dirent.name, kind});
        }
      }
      auto done = finish<ReadDirFn>(fs);
      if (result < 0) return done(error_from_uv(static_cast<int>(result)));
      std::sort(entries.begin(), entries.end());
      done(std::move(entries));
    }));
  }

  // One thread-pool job for the hints of all the files: nothing waits for it.
  void will_read(std::vector<io::ReadAhead> files) override {
    HM_ASSERT(files.size() <= io::kMaxReadAheadFiles);
    if (files.empty()) return;
    run_blocking(loop_, [files = std::move(files)] {
      for (const io::ReadAhead& file : files) platform::advise_will_read(file.path, file.ranges);
    }, [] {});
  }

  void fsync_dir(const std::string& path, DoneFn done) override {
    blocking(std::move(done), [path] { return platform::fsync_directory(path); });
  }

  void sync_file_system(const std::string& path, DoneFn done) override {
    blocking(std::move(done), [path] { return platform::sync_file_system(path); });
  }

  void set_mtime(const std::string& path, std::int64_t mtime_ns, DoneFn done) override {
    // libuv takes seconds as a double: microsecond precision at today's dates.
    const double seconds = static_cast<double>(mtime_ns) / static_cast<double>(io::kNsPerS);
    auto* req = new_req(std::move(done));
    submit(req, uv_fs_utime(loop_, &req->req, path.c_str(), seconds, seconds, &UvFileSystem::done_status));
  }

  void set_mode(const std::string& path, std::uint32_t mode, DoneFn done) override {
    auto* req = new_req(std::move(done));
    // chmod(2) would silently drop the bits the contract refuses.
    if ((mode & ~kPermissionBits) != 0) return fail_soon(loop_, req, io::Error::invalid_argument);
    // On Windows libuv sets or clears the read-only attribute from the owner-write bit
    // (0200), as _chmod does; the other bits have no equivalent there and are dropped,
    // and stat reports a directory writable whatever its attribute.
    submit(req, uv_fs_chmod(loop_, &req->req, path.c_str(), static_cast<int>(mode), &UvFileSystem::done_status));
  }

 private:
  static uv_file to_file(io::FileHandle file) { return static_cast<uv_file>(file.value); }

  // read_ranges() on the calling thread (a pool worker): libuv's calls without a
  // callback run synchronously and touch no loop.
  static io::Result<io::RangesRead> read_ranges_now(const std::string& path, const std::vector<io::FileRange>& ranges) {
    uv_fs_t req;
    const int opened = uv_fs_open(nullptr, &req, path.c_str(), UV_FS_O_RDONLY, 0, nullptr);
    uv_fs_req_cleanup(&req);
    if (opened < 0) return error_from_uv(opened);
    const uv_file file = opened;
    io::Result<io::RangesRead> out = read_open_file(file, ranges);
    uv_fs_close(nullptr, &req, file, nullptr);
    uv_fs_req_cleanup(&req);
    return out;
  }

  static io::Result<io::RangesRead> read_open_file(uv_file file, const std::vector<io::FileRange>& ranges) {
    uv_fs_t req;
    const int stated = uv_fs_fstat(nullptr, &req, file, nullptr);
    const uv_stat_t st = req.statbuf;
    uv_fs_req_cleanup(&req);
    if (stated < 0) return error_from_uv(stated);
    io::RangesRead out{.stat = to_file_stat(st), .chunks = {}};
    if (out.stat.kind != io::FileKind::regular) return io::Error::is_directory;
    out.chunks.reserve(ranges.size());
    for (const io::FileRange& range : ranges) {
      const std::uint64_t size = out.stat.size_bytes;
      const std::uint64_t length = range.offset >= size ? 0 : std::min(range.length, size - range.offset);
      if (length > 0 && range.offset > kMaxOffset) return io::Error::invalid_argument;
      io::Bytes bytes(length);
      std::uint64_t got = 0;
      while (got < length) {  // one read may return less; zero is the end of the file
        const auto chunk = static_cast<unsigned>(std::min(length - got, kMaxChunkBytes));
        uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(bytes.data() + got), chunk);
        const int count = uv_fs_read(nullptr, &req, file, &buf, 1, static_cast<std::int64_t>(range.offset + got), nullptr);
        uv_fs_req_cleanup(&req);
        if (count < 0) return error_from_uv(count);
        if (count == 0) break;
        got += static_cast<std::uint64_t>(count);
      }
      bytes.resize(got);
      out.chunks.push_back(std::move(bytes));
    }
    return out;
  }

  // write_ranges() on the calling thread (a pool worker), as read_ranges_now().
  static io::Error write_ranges_now(const std::string& path, const std::vector<io::RangeWrite>& writes) {
    uv_fs_t req;
    const int opened = uv_fs_open(nullptr, &req, path.c_str(), UV_FS_O_WRONLY, 0, nullptr);
    uv_fs_req_cleanup(&req);
    if (opened < 0) return error_from_uv(opened);
    const uv_file file = opened;
    const io::Error out = write_open_file(file, writes).error;
    uv_fs_close(nullptr, &req, file, nullptr);
    uv_fs_req_cleanup(&req);
    return out;
  }

  // fsync() on the calling thread (a pool worker).
  static io::Error fsync_now(uv_file file) {
    uv_fs_t req;
    const int synced = uv_fs_fsync(nullptr, &req, file, nullptr);
    uv_fs_req_cleanup(&req);
    return synced < 0 ? error_from_uv(synced) : io::Error::ok;
  }

  // The ranges' writes on the calling thread (a pool worker), in order, up to the
  // first that fails.
  static io::BatchWritten write_open_file(uv_file file, const std::vector<io::RangeWrite>& writes) {
    io::BatchWritten out;
    for (; out.count < writes.size(); ++out.count) {
      out.error = write_range(file, writes[out.count]);
      if (out.error != io::Error::ok) break;
    }
    return out;
  }

  static io::Error write_range(uv_file file, const io::RangeWrite& range) {
    uv_fs_t req;
    const std::uint64_t length = range.bytes.size();
    if (length > 0 && range.offset > kMaxOffset) return io::Error::invalid_argument;
    std::uint64_t put = 0;
    while (put < length) {  // one write may move less
      const auto chunk = static_cast<unsigned>(std::min(length - put, kMaxChunkBytes));
      uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(range.bytes.data() + put)), chunk);
      const int count = uv_fs_write(nullptr, &req, file, &buf, 1, static_cast<std::int64_t>(range.offset + put), nullptr);
      uv_fs_req_cleanup(&req);
      if (count < 0) return error_from_uv(count);
      if (count == 0) return io::Error::io_error;
      put += static_cast<std::uint64_t>(count);
    }
    return io::Error::ok;
  }

  template <typename Done>
  void submit(FsReq<Done>* req, int status) {
    if (status < 0) fail_soon(loop_, req, error_from_uv(status));
  }

  void blocking(DoneFn done, std::function<io::Error()> work) {
    auto result = std::make_shared<io::Error>(io::Error::ok);
    run_blocking(loop_, [result, work = std::move(work)] { *result = work(); },
                 [result, done = std::move(done)] { done(*result); });
  }

  static void done_status(uv_fs_t* fs) {
    const auto result = fs->result;
    auto done = finish<DoneFn>(fs);
    done(result < 0 ? error_from_uv(static_cast<int>(result)) : io::Error::ok);
  }

  static void done_stat(uv_fs_t* fs) {
    const auto result = fs->result;
    const auto st = fs->statbuf;
    auto done = finish<StatFn>(fs);
    if (result < 0) return done(error_from_uv(static_cast<int>(result)));
    done(to_file_stat(st));
  }

  // Who continues a multi-step read or write: the seam's call itself (an empty one
  // completes at once, so its callback is posted) or libuv's callback, which already
  // runs on the loop outside any call, so the completion runs there without another
  // loop iteration (one per replicated op on each copy).
  enum class Caller : std::uint8_t { call, libuv };

  // Reads until `remaining` is satisfied or end of file: one read may return less.
  void read_more(FsReq<ReadFn>* req, std::uint64_t done_bytes, Caller caller) {
    if (req->remaining == 0) return complete_read(req, done_bytes, caller);
    if (req->offset + done_bytes > kMaxOffset) return fail_read(req, UV_EINVAL);
    const auto chunk = static_cast<unsigned>(std::min(req->remaining, kMaxChunkBytes));
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(req->buffer.data() + done_bytes), chunk);
    uv_fs_req_cleanup(&req->req);
    req->req.data = req;
    const int status = uv_fs_read(loop_, &req->req, req->file, &buf, 1, static_cast<std::int64_t>(req->offset + done_bytes),
                                  [](uv_fs_t* fs) {
                                    auto* self_req = req_of<ReadFn>(fs);
                                    auto* self = static_cast<UvFileSystem*>(self_req->owner);
                                    const auto result = fs->result;
                                    const std::uint64_t before = self_req->buffer.size() - self_req->remaining;
                                    if (result < 0) return self->fail_read(self_req, static_cast<int>(result));
                                    if (result == 0) return self->complete_read(self_req, before, Caller::libuv);
                                    self_req->remaining -= static_cast<std::uint64_t>(result);
                                    self->read_more(self_req, before + static_cast<std::uint64_t>(result), Caller::libuv);
                                  });
    if (status < 0) fail_read(req, status);
  }
  void complete_read(FsReq<ReadFn>* req, std::uint64_t total, Caller caller) {
    req->buffer.resize(total);
    std::unique_ptr<FsReq<ReadFn>> owned(req);
    uv_fs_req_cleanup(&owned->req);
    if (caller == Caller::libuv) {
      auto done = std::move(owned->done);
      io::Bytes data = std::move(owned->buffer);
      owned.reset();
      return done(std::move(data));
    }
    post(loop_, [done = std::move(owned->done), data = std::move(owned->buffer)]() mutable { done(std::move(data)); });
  }
  void fail_read(FsReq<ReadFn>* req, int status) {
    uv_fs_req_cleanup(&req->req);
    fail_soon(loop_, req, error_from_uv(status));
  }

  void write_more(FsReq<WriteFn>* req, std::uint64_t done_bytes, Caller caller) {
    if (req->remaining == 0) {
      std::unique_ptr<FsReq<WriteFn>> owned(req);
      uv_fs_req_cleanup(&owned->req);
      if (caller == Caller::libuv) {
        auto done = std::move(owned->done);
        owned.reset();
        return done(done_bytes);
      }
      post(loop_, [done = std::move(owned->done), done_bytes] { done(done_bytes); });
      return;
    }
    if (req->offset + done_bytes > kMaxOffset) return fail_soon(loop_, req, io::Error::invalid_argument);
    const auto chunk = static_cast<unsigned>(std::min(req->remaining, kMaxChunkBytes));
    uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(req->source.data() + done_bytes)), chunk);
    uv_fs_req_cleanup(&req->req);
    req->req.data = req;
    const int status = uv_fs_write(loop_, &req->req, req->file, &buf, 1, static_cast<std::int64_t>(req->offset + done_bytes),
                                   [](uv_fs_t* fs) {
                                     auto* self_req = req_of<WriteFn>(fs);
                                     auto* self = static_cast<UvFileSystem*>(self_req->owner);
                                     const auto result = fs->result;
                                     const std::uint64_t before = self_req->source.size() - self_req->remaining;
                                     if (result <= 0) {
                                       uv_fs_req_cleanup(fs);
                                       return fail_soon(self->loop_, self_req, error_from_uv(result == 0 ? UV_EIO : static_cast<int>(result)));
                                     }
                                     self_req->remaining -= static_cast<std::uint64_t>(result);
                                     self->write_more(self_req, before + static_cast<std::uint64_t>(result), Caller::libuv);
                                   });
    if (status < 0) fail_soon(loop_, req, error_from_uv(status));
  }

  uv_loop_t* loop_;
};

}  // namespace

std::unique_ptr<io::FileSystem> make_uv_file_system(uv_loop_t* loop) { return std::make_unique<UvFileSystem>(loop); }

}  // namespace hamirror::uv
