#include "fsim/slow_fs.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::fsim {

SlowFs::SlowFs(io::FileSystem& inner, sim::Scheduler& scheduler, io::Prng random, SlowFsOptions options)
    : FileSystemWrapper(inner), random_(random), pending_(scheduler, kMaxDelayedCalls) {
  set_options(options);
}

void SlowFs::set_options(SlowFsOptions options) {
  HM_ASSERT(options.latency_min_ns >= 0 && options.latency_min_ns <= options.latency_max_ns);
  HM_ASSERT(options.sync_latency_min_ns >= 0 && options.sync_latency_min_ns <= options.sync_latency_max_ns);
  options_ = options;
}

std::int64_t SlowFs::draw(std::int64_t min_ns, std::int64_t max_ns) {
  // A fixed latency draws nothing, so it does not move this layer's stream.
  return min_ns == max_ns ? min_ns : random_.between(min_ns, max_ns);
}

void SlowFs::delay(Cost cost, std::function<void()> call) {
  std::int64_t latency_ns = draw(options_.latency_min_ns, options_.latency_max_ns);
  if (cost == Cost::sync) latency_ns += draw(options_.sync_latency_min_ns, options_.sync_latency_max_ns);
  if (latency_ns == 0) return call();
  pending_.after(latency_ns, std::move(call));
}

void SlowFs::open(const std::string& path, io::OpenFlags flags, OpenFn done) {
  delay(Cost::plain, [this, path, flags, done = std::move(done)] { inner().open(path, flags, done); });
}

void SlowFs::close(io::FileHandle file, DoneFn done) {
  delay(Cost::plain, [this, file, done = std::move(done)] { inner().close(file, done); });
}

void SlowFs::read(io::FileHandle file, std::uint64_t offset, std::uint64_t size, ReadFn done) {
  delay(Cost::plain, [this, file, offset, size, done = std::move(done)] { inner().read(file, offset, size, done); });
}

void SlowFs::write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) {
  // The contract lets the caller reuse its buffer once write() returns: copy now.
  write_shared(file, offset, io::SharedBytes::copy_of(bytes), std::move(done));
}

void SlowFs::write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes, WriteFn done) {
  delay(Cost::plain, [this, file, offset, bytes = std::move(bytes), done = std::move(done)] {
    inner().write_shared(file, offset, bytes, done);
  });
}

void SlowFs::fsync(io::FileHandle file, DoneFn done) {
  delay(Cost::sync, [this, file, done = std::move(done)] { inner().fsync(file, done); });
}

void SlowFs::truncate(io::FileHandle file, std::uint64_t size_bytes, DoneFn done) {
  delay(Cost::plain, [this, file, size_bytes, done = std::move(done)] { inner().truncate(file, size_bytes, done); });
}

void SlowFs::fstat(io::FileHandle file, StatFn done) {
  delay(Cost::plain, [this, file, done = std::move(done)] { inner().fstat(file, done); });
}

void SlowFs::stat(const std::string& path, StatFn done) {
  delay(Cost::plain, [this, path, done = std::move(done)] { inner().stat(path, done); });
}

void SlowFs::rename(const std::string& from, const std::string& to, DoneFn done) {
  delay(Cost::plain, [this, from, to, done = std::move(done)] { inner().rename(from, to, done); });
}

void SlowFs::unlink(const std::string& path, DoneFn done) {
  delay(Cost::plain, [this, path, done = std::move(done)] { inner().unlink(path, done); });
}

void SlowFs::mkdir(const std::string& path, DoneFn done) {
  delay(Cost::plain, [this, path, done = std::move(done)] { inner().mkdir(path, done); });
}

void SlowFs::rmdir(const std::string& path, DoneFn done) {
  delay(Cost::plain, [this, path, done = std::move(done)] { inner().rmdir(path, done); });
}

void SlowFs::readdir(const std::string& path, ReadDirFn done) {
  delay(Cost::plain, [this, path, done = std::move(done)] { inner().readdir(path, done); });
}

void SlowFs::fsync_dir(const std::string& path, DoneFn done) {
  delay(Cost::sync, [this, path, done = std::move(done)] { inner().fsync_dir(path, done); });
}

void SlowFs::sync_file_system(const std::string& path, DoneFn done) {
  delay(Cost::sync, [this, path, done = std::move(done)] { inner().sync_file_system(path, done); });
}

void SlowFs::set_mtime(const std::string& path, std::int64_t mtime_ns, DoneFn done) {
  delay(Cost::plain, [this, path, mtime_ns, done = std::move(done)] { inner().set_mtime(path, mtime_ns, done); });
}

void SlowFs::set_mode(const std::string& path, std::uint32_t mode, DoneFn done) {
  delay(Cost::plain, [this, path, mode, done = std::move(done)] { inner().set_mode(path, mode, done); });
}

}  // namespace hamirror::fsim
