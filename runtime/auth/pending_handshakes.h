// Internal to runtime/auth: the handshakes a listener or a network has in flight, and
// the failed ones still lingering. Destroying the container drops them all without
// running any callback.
#pragma once

#include <functional>
#include <list>
#include <memory>

#include "auth/secure_stream.h"

namespace hamirror::auth {

class PendingHandshakes {
 public:
  using ResultFn = std::function<void(io::Result<std::unique_ptr<io::StreamConnection>> connection)>;

  explicit PendingHandshakes(std::shared_ptr<AuthContext> context) : context_(std::move(context)) {}
  PendingHandshakes(const PendingHandshakes&) = delete;
  PendingHandshakes& operator=(const PendingHandshakes&) = delete;

  // Authenticates `inner`; `on_result` runs once with the authenticated connection or
  // the reason it failed (already logged).
  void start(std::unique_ptr<io::StreamConnection> inner, Role role, ResultFn on_result);
  std::size_t size() const { return streams_.size(); }

 private:
  using Streams = std::list<std::unique_ptr<SecureStream>>;
  Streams::iterator find(const SecureStream* stream);

  std::shared_ptr<AuthContext> context_;
  Streams streams_;
};

}  // namespace hamirror::auth
