#include "bench/suite/primary_node.h"

#include <cstdio>
#include <filesystem>

#include "auth/cluster_key.h"
#include "config/config_check.h"
#include "daemon/node_mapping.h"
#include "daemon/resolver.h"
#include "platform/platform.h"

namespace hamirror::bench {

PrimaryNode::PrimaryNode(const std::string& node_file, const std::string& module_file) {
  uv_loop_init(&loop_);
  config::UserconfigOptions options;
  options.resolves = [this](const std::string& host) { return daemon::resolve_host(&loop_, host).has_value(); };
  const auto checked = config::check_config_files(module_file, node_file, options);
  if (!checked.module || !checked.node || checked.diagnostics.error_count() > 0) {
    error_ = "the configuration has errors:\n" + checked.diagnostics.to_string();
    return;
  }
  const auto mapped = daemon::map_node_config(*checked.node, *checked.module, daemon::locate_module(module_file), "",
                                              [this](const std::string& host) { return daemon::resolve_host(&loop_, host); });
  if (!mapped.config) {
    error_ = mapped.error;
    return;
  }
  core::NodeConfig config = *mapped.config;
  root_ = config.roots.at(0);
  for (const auto& dir : {config.state_dir, root_}) std::filesystem::create_directories(dir);
  platform::prepare_process_for_io();
  backend_ = std::make_unique<uv::UvBackend>(&loop_);
  io::Io plain = backend_->io();
  io_.emplace(plain);
  if (!checked.node->key_file.empty()) {
    auto loaded = auth::load_key(checked.node->key_file);
    if (!loaded.key) {
      error_ = loaded.error;
      return;
    }
    // As hamirrord does with a key: every frame carries an HMAC, so the figure includes it.
    nonces_ = auth::make_os_nonce_source();
    network_ = std::make_unique<auth::AuthenticatedNetwork>(
        plain.network, *loaded.key, *nonces_, plain.clock, [](const std::string& line) { std::fprintf(stderr, "auth: %s\n", line.c_str()); });
    io_.emplace(io::Io{plain.clock, plain.random, *network_, plain.fs, plain.processes, plain.services, plain.vip});
  }
  // The core logs every state change itself: the listener only echoes its lines.
  node_ = std::make_unique<core::Node>(
      *io_, std::move(config),
      core::Node::Listener{.on_state_change = [](core::NodeState, core::NodeState, const std::string&) {},
                           .on_log = [](const std::string& line) { std::fprintf(stderr, "node: %s\n", line.c_str()); }});
}

PrimaryNode::~PrimaryNode() {
  node_.reset();
  network_.reset();
  // Calls still on libuv's thread pool (the node's destructor closes its files) must
  // complete while the loop exists: a worker finishing after exit() locks the freed
  // loop's mutex (abort) or signals its closed eventfd (crash).
  while (loop_.active_reqs.count > 0) uv_run(&loop_, UV_RUN_ONCE);
  backend_.reset();
  uv_run(&loop_, UV_RUN_NOWAIT);
  uv_loop_close(&loop_);
}

bool PrimaryNode::start_and_wait_for(core::NodeState wanted, std::int64_t timeout_ms) {
  node_->start();
  return backend_->run_until([this, wanted] { return node_->state() == wanted && !node_->reintegration_progress(); },
                             timeout_ms);
}

void PrimaryNode::stop() {
  bool stopped = false;
  node_->stop([&stopped] { stopped = true; });
  backend_->run_until([&stopped] { return stopped; }, 30'000);
}

}  // namespace hamirror::bench
