#include "fsim/faulty_fs.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::fsim {
namespace {

std::size_t index_of(FaultKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  HM_ASSERT(index < kFaultKinds);
  return index;
}

bool valid_probability(double p) { return p >= 0.0 && p <= 1.0; }

}  // namespace

FaultyFs::FaultyFs(io::FileSystem& inner, sim::Scheduler& scheduler, io::Prng random, FaultyFsOptions options)
    : FileSystemWrapper(inner), scheduler_(scheduler), random_(random), pending_(scheduler, kMaxPendingFaults) {
  set_options(std::move(options));
}

void FaultyFs::set_options(FaultyFsOptions options) {
  HM_ASSERT(valid_probability(options.read_error_probability));
  HM_ASSERT(valid_probability(options.write_error_probability));
  HM_ASSERT(valid_probability(options.fsync_error_probability));
  HM_ASSERT(valid_probability(options.fsync_dir_error_probability));
  options_ = std::move(options);
}

void FaultyFs::fail_next(FaultKind kind, std::uint32_t count, io::Error error) {
  HM_ASSERT(error != io::Error::ok);
  armed_[index_of(kind)] = Armed{count, error};
}

double FaultyFs::probability(FaultKind kind) const {
  switch (kind) {
    case FaultKind::read: return options_.read_error_probability;
    case FaultKind::write: return options_.write_error_probability;
    case FaultKind::fsync: return options_.fsync_error_probability;
    case FaultKind::fsync_dir: return options_.fsync_dir_error_probability;
  }
  HM_ASSERT(false);
  return 0.0;
}

io::Error FaultyFs::draw(FaultKind kind) {
  Armed& armed = armed_[index_of(kind)];
  if (armed.count > 0) {
    --armed.count;
    return armed.error;
  }
  return random_.chance(probability(kind)) ? io::Error::io_error : io::Error::ok;  // chance(0.0) draws nothing
}

template <typename Done>
void FaultyFs::inject(FaultKind kind, io::Error error, const std::string& what, Done done) {
  HM_ASSERT(error != io::Error::ok);
  ++faults_injected_;
  scheduler_.trace().record(scheduler_.now_ns(), options_.trace_name,
                            "inject " + std::string(io::error_name(error)) + " into " + what);
  if (listener_) listener_(kind, error);
  pending_.after(0, [done = std::move(done), error] { done(error); });
}

void FaultyFs::read(io::FileHandle file, std::uint64_t offset, std::uint64_t size, ReadFn done) {
  const io::Error error = draw(FaultKind::read);
  if (error == io::Error::ok) return inner().read(file, offset, size, std::move(done));
  inject(FaultKind::read, error, "read #" + std::to_string(file.value), std::move(done));
}

void FaultyFs::write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) {
  const io::Error error = draw(FaultKind::write);
  if (error == io::Error::ok) return inner().write(file, offset, bytes, std::move(done));
  inject(FaultKind::write, error, "write #" + std::to_string(file.value), std::move(done));
}

void FaultyFs::write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes, WriteFn done) {
  const io::Error error = draw(FaultKind::write);  // the same draw as write(): seeds replay alike
  if (error == io::Error::ok) return inner().write_shared(file, offset, std::move(bytes), std::move(done));
  inject(FaultKind::write, error, "write #" + std::to_string(file.value), std::move(done));
}

void FaultyFs::fsync(io::FileHandle file, DoneFn done) {
  const io::Error error = draw(FaultKind::fsync);
  if (error == io::Error::ok) return inner().fsync(file, std::move(done));
  inject(FaultKind::fsync, error, "fsync #" + std::to_string(file.value), std::move(done));
}

void FaultyFs::fsync_dir(const std::string& path, DoneFn done) {
  const io::Error error = draw(FaultKind::fsync_dir);
  if (error == io::Error::ok) return inner().fsync_dir(path, std::move(done));
  inject(FaultKind::fsync_dir, error, "fsync_dir " + path, std::move(done));
}

// A flush of the whole disk fails as an fsync does.
void FaultyFs::sync_file_system(const std::string& path, DoneFn done) {
  const io::Error error = draw(FaultKind::fsync);
  if (error == io::Error::ok) return inner().sync_file_system(path, std::move(done));
  inject(FaultKind::fsync, error, "syncfs " + path, std::move(done));
}

}  // namespace hamirror::fsim
