// Hands changes from FUSE's thread to the libuv loop, which alone talks to the
// WriteSink: post() queues a Submission (under a mutex) and wakes the loop
// (uv_async_send); on the loop each submission's ops are submitted in order, and its
// finish(result) runs once every op completed — result is the first error, or ok.
//
// Order: submissions are submitted in the order they were posted, and the ops of one
// submission back to back, so the sink applies them in the order the application made
// them. When the sink says would_block, the dispatcher keeps the rest waiting and
// retries after any completion or kRetryDelayMs.
//
// Threads: post() and post_log() from any thread; everything else on the loop thread.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/replication/file_op.h"
#include "fuse/write_sink.h"

namespace hamirror::fuse {

constexpr std::uint64_t kRetryDelayMs = 5;

struct Submission {
  std::vector<core::FileOp> ops;
  // Runs on the loop once: after the last op completed, at the first op the sink
  // refused, or with io::Error::cancelled when the dispatcher closes first.
  std::function<void(io::Error)> finish;
};

using LogFn = std::function<void(const std::string&)>;

class LoopDispatcher {
 public:
  // On the loop thread. log runs on the loop thread only.
  LoopDispatcher(uv_loop_t* loop, WriteSink& sink, LogFn log);
  ~LoopDispatcher();
  LoopDispatcher(const LoopDispatcher&) = delete;
  LoopDispatcher& operator=(const LoopDispatcher&) = delete;

  void post(Submission submission);
  void post_log(std::string line);

  // On the loop thread: finishes every unfinished submission — posted, waiting or
  // submitted — with cancelled (none is submitted any more) and closes the loop
  // handles. Completions that arrive later from the sink are ignored; later posts are
  // dropped.
  void close();

 private:
  struct Core;
  std::shared_ptr<Core> core_;
};

}  // namespace hamirror::fuse
