// A fault layer that fails reads, writes and syncs with EIO (io_error), as a dying
// disk or a bad sector does.
//
// Fault model: each read, write, fsync and fsync_dir fails with its kind's
// probability (sync_file_system as an fsync), drawn from this layer's own Prng (so enabling it does not shift the
// draws of anything else); fail_next() makes the next N calls of a kind fail, for
// tests that need a fault at an exact point (armed faults come first and draw
// nothing). A failed call never reaches the inner file system: nothing was written
// or made durable, and the caller must not assume that data written before a failed
// fsync will ever be durable. Other calls pass through. Defaults: no faults.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "fsim/fs_wrapper.h"
#include "fsim/pending_events.h"
#include "io/random.h"
#include "sim/scheduler.h"

namespace hamirror::fsim {

enum class FaultKind : std::uint8_t { read, write, fsync, fsync_dir };
constexpr std::size_t kFaultKinds = 4;

// Injected failures waiting to be delivered, per layer.
constexpr std::size_t kMaxPendingFaults = 100'000;

struct FaultyFsOptions {
  std::string trace_name = "faulty-fs";
  double read_error_probability = 0.0;
  double write_error_probability = 0.0;
  double fsync_error_probability = 0.0;
  double fsync_dir_error_probability = 0.0;
};

class FaultyFs final : public FileSystemWrapper {
 public:
  FaultyFs(io::FileSystem& inner, sim::Scheduler& scheduler, io::Prng random, FaultyFsOptions options = {});

  // The next `count` calls of `kind` fail with `error` (io_error unless told).
  void fail_next(FaultKind kind, std::uint32_t count, io::Error error = io::Error::io_error);
  void set_options(FaultyFsOptions options);
  std::uint64_t faults_injected() const { return faults_injected_; }
  // Drops injected failures not yet delivered (the caller crashed).
  void cancel_pending() { pending_.cancel_all(); }
  // Told of every fault as it is injected (a test harness judging what a failed
  // sync allows to be lost); empty: nobody is told.
  void set_injection_listener(std::function<void(FaultKind, io::Error)> listener) { listener_ = std::move(listener); }
  // Injected failures complete through `gate` (null: none), as the node's disk does.
  void set_gate(sim::NodeGate* gate) { pending_.set_gate(gate); }

  void read(io::FileHandle file, std::uint64_t offset, std::uint64_t size, ReadFn done) override;
  void write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) override;
  void write_shared(io::FileHandle file, std::uint64_t offset, io::SharedBytes bytes, WriteFn done) override;
  void fsync(io::FileHandle file, DoneFn done) override;
  void fsync_dir(const std::string& path, DoneFn done) override;
  void sync_file_system(const std::string& path, DoneFn done) override;

 private:
  struct Armed {
    std::uint32_t count = 0;
    io::Error error = io::Error::io_error;
  };

  // The error to inject into this call, or ok to let it through.
  io::Error draw(FaultKind kind);
  // Records the fault and delivers it through the scheduler.
  template <typename Done>
  void inject(FaultKind kind, io::Error error, const std::string& what, Done done);
  double probability(FaultKind kind) const;

  sim::Scheduler& scheduler_;
  io::Prng random_;
  FaultyFsOptions options_;
  std::array<Armed, kFaultKinds> armed_{};
  std::uint64_t faults_injected_ = 0;
  PendingEvents pending_;
  std::function<void(FaultKind, io::Error)> listener_;
};

}  // namespace hamirror::fsim
