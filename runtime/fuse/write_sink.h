// Where the FUSE frontend sends every change an application makes to a replicated
// directory. The daemon implements it over core::Node (Node::submit and "is this node
// primary"); tests implement it over OpApplier.
#pragma once

#include <functional>

#include "core/replication/file_op.h"
#include "io/error.h"

namespace hamirror::fuse {

class WriteSink {
 public:
  using DoneFn = std::function<void(io::Error)>;
  virtual ~WriteSink() = default;

  // Called on the libuv loop's thread only. Same contract as core::Node::submit: ok,
  // and done(result) runs once later on the loop (after the local apply and the
  // secondary's acknowledgement); would_block when too many writes wait (the frontend
  // retries, done not called); any other error: refused, done not called.
  virtual io::Error submit(core::FileOp op, DoneFn done) = 0;

  // Whether this node accepts writes now (ALONE or PRIM). Called from FUSE's own
  // thread as well as from the loop, so it must be safe to call concurrently (an
  // atomic the daemon updates on each state change). A stale answer is harmless:
  // submit() still refuses with read_only.
  virtual bool writable() const = 0;
};

}  // namespace hamirror::fuse
