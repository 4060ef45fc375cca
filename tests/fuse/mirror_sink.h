// A WriteSink for tests: applies each op to two copies (a "primary" and a "secondary"
// directory) with the core's OpApplier on one uv backend, and completes once both
// did — the shape of synchronous replication without the network. Faults: refuse
// everything (not writable), answer a chosen error for writes or fsyncs (after
// applying them, like a secondary that was lost after the local apply), or hold writes
// without ever completing them.
#pragma once

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/replication/op_applier.h"
#include "fuse/write_sink.h"
#include "uv/uv_backend.h"

namespace hamirror::test {

class MirrorSink final : public fuse::WriteSink {
 public:
  // On the loop thread.
  MirrorSink(uv_loop_t* loop, const std::string& primary, const std::string& secondary)
      : backend_(loop), io_(backend_.io()), primary_(io_.fs, {primary}), secondary_(io_.fs, {secondary}) {}

  io::Error submit(core::FileOp op, DoneFn done) override {
    if (!writable_) return io::Error::read_only;
    if (hold_writes_ && op.kind == core::OpKind::write) {
      held_.push_back(std::move(done));
      return io::Error::ok;
    }
    ++ops_[op.kind];
    max_write_bytes_ = std::max<std::size_t>(max_write_bytes_, op.data.size());
    io::Error injected = io::Error::ok;
    if (op.kind == core::OpKind::write) injected = fail_writes_;
    if (op.kind == core::OpKind::fsync) injected = fail_fsyncs_;
    auto both = std::make_shared<Both>(Both{.done = std::move(done), .injected = injected});
    const io::Error first = primary_.apply(op, [both](io::Error result) { both->complete(result); });
    if (first != io::Error::ok) return first;
    const io::Error second = secondary_.apply(std::move(op), [both](io::Error result) { both->complete(result); });
    if (second != io::Error::ok) both->complete(second);
    return io::Error::ok;
  }
  bool writable() const override { return writable_; }

  std::atomic<bool> writable_{true};
  std::atomic<io::Error> fail_writes_{io::Error::ok};
  std::atomic<io::Error> fail_fsyncs_{io::Error::ok};
  // Writes neither applied nor completed, like a primary waiting for a lost secondary.
  std::atomic<bool> hold_writes_{false};
  std::vector<DoneFn> held_;
  // Loop thread only (read them inside LoopThread::run).
  std::map<core::OpKind, int> ops_;
  std::size_t max_write_bytes_ = 0;

 private:
  struct Both {
    DoneFn done;
    io::Error injected;
    int completed = 0;
    io::Error first_error = io::Error::ok;
    void complete(io::Error result) {
      if (result != io::Error::ok && first_error == io::Error::ok) first_error = result;
      if (++completed < 2) return;
      done(first_error != io::Error::ok ? first_error : injected);
    }
  };
  uv::UvBackend backend_;
  io::Io io_;
  core::OpApplier primary_;
  core::OpApplier secondary_;
};

}  // namespace hamirror::test
