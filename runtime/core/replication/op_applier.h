// Applies FileOps to a node's replicated directories on its io::FileSystem, strictly
// one at a time in the order given (across directories too) — the primary applies its own writes with it, the
// secondary the primary's. Keeps a small cache of open handles so a stream of writes
// to one file costs one open.
//
// Destroying the applier drops the completions of ops still queued or in flight (the
// FileSystem must outlive it); cached handles are closed without waiting.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/replication/file_op.h"
#include "io/filesystem.h"

namespace hamirror::core {

constexpr std::size_t kMaxCachedHandles = 64;
constexpr std::size_t kMaxQueuedOps = 4096;

class OpApplier {
 public:
  using DoneFn = std::function<void(io::Error)>;

  // roots[i] is the native path of replicated directory i.
  OpApplier(io::FileSystem& fs, std::vector<std::string> roots);
  ~OpApplier();
  OpApplier(const OpApplier&) = delete;
  OpApplier& operator=(const OpApplier&) = delete;

  // Queues op; done(result) runs once it was applied (or failed). would_block, with
  // done not called, when kMaxQueuedOps are already waiting; invalid_argument for an
  // op that does not validate().
  io::Error apply(FileOp op, DoneFn done);
  std::size_t queued() const;
  const std::vector<std::string>& roots() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace hamirror::core
