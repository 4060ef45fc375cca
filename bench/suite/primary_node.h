// The primary of the benchmark cluster, in this process: the same wiring as
// `hamirrord run` (configuration files -> core::NodeConfig, the libuv backend, the
// network authenticated by the cluster key) minus the control API and the FUSE
// mounts, so that writes reach core::Node::submit directly. The secondary is a real
// hamirrord started by tools/bench-suite.sh.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>

#include "auth/authenticated_network.h"
#include "auth/nonce_source.h"
#include "core/node/node.h"
#include "uv/uv_backend.h"

namespace hamirror::bench {

class PrimaryNode {
 public:
  // Loads both files as hamirrord does; `error()` says what failed.
  PrimaryNode(const std::string& node_file, const std::string& module_file);
  ~PrimaryNode();
  PrimaryNode(const PrimaryNode&) = delete;
  PrimaryNode& operator=(const PrimaryNode&) = delete;

  const std::string& error() const { return error_; }
  // Starts the node and runs the loop until it is `wanted` with no reintegration under
  // way (PRIM: its secondary is synchronised), or timeout_ms passed.
  bool start_and_wait_for(core::NodeState wanted, std::int64_t timeout_ms);
  // Stops the node cleanly (state saved), running the loop until it has.
  void stop();

  core::Node& node() { return *node_; }
  uv::UvBackend& backend() { return *backend_; }
  // The replicated directory's copy on this node (directory 0).
  const std::string& root() const { return root_; }

 private:
  uv_loop_t loop_{};
  std::string error_;
  std::string root_;
  std::unique_ptr<uv::UvBackend> backend_;
  std::unique_ptr<auth::NonceSource> nonces_;
  std::unique_ptr<auth::AuthenticatedNetwork> network_;
  std::optional<io::Io> io_;
  std::unique_ptr<core::Node> node_;
};

}  // namespace hamirror::bench
