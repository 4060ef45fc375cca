// The FUSE frontends' sink over the node (Linux's low-level one, the high-level one over
// WinFsp): their writes go through Node::submit; writable follows the node's state.
#pragma once

#include <atomic>

#include "core/node/node.h"
#include "fuse/write_sink.h"

namespace hamirror::daemon {

class NodeWriteSink final : public fuse::WriteSink {
 public:
  explicit NodeWriteSink(core::Node& node) : node_(node) {}

  io::Error submit(core::FileOp op, DoneFn done) override { return node_.submit(std::move(op), std::move(done)); }
  bool writable() const override { return writable_.load(std::memory_order_relaxed); }
  void set_writable(bool writable) { writable_.store(writable, std::memory_order_relaxed); }

 private:
  core::Node& node_;
  std::atomic<bool> writable_{false};  // read from FUSE's threads too
};

}  // namespace hamirror::daemon
