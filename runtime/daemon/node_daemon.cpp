#include "daemon/node_daemon.h"

#include <uv.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "auth/authenticated_network.h"
#include "auth/cluster_key.h"
#include "auth/nonce_source.h"
#include "config/config_check.h"
#include "daemon/control_api.h"
#include "daemon/control_server.h"
#include "daemon/core_log_severity.h"
#include "daemon/log_file.h"
#include "daemon/node_mapping.h"
#include "daemon/pid_lock.h"
#include "daemon/resolver.h"
#include "daemon/state_report.h"
#include "daemon/write_capture.h"
#include "platform/platform.h"
#include "uv/uv_backend.h"
#include "uv/uv_util.h"

namespace hamirror::daemon {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kProgressLogIntervalMs = 5000;
// The heap keeps freed buffers for reuse under load (platform/posix); this often, what
// it holds free is given back, so an idle daemon does not keep a past load's memory.
constexpr std::uint64_t kReleaseFreeMemoryIntervalMs = 10'000;

// Everything one running node owns, on one loop. Destroyed after the loop stopped.
class NodeDaemon {
 public:
  // key: the cluster key; nullopt: peers are not authenticated (warned in the log).
  // log_script_output: <user logging="userlog"> (false: "none", script output dropped).
  NodeDaemon(uv_loop_t* loop, const config::NodeConfig& node, core::NodeConfig core_config,
             const std::optional<auth::ClusterKey>& key, bool log_script_output)
      : loop_(loop),
        log_script_output_(log_script_output),
        module_log_((fs::path(node.log_dir) / kModuleLogName).string()),
        application_log_((fs::path(node.log_dir) / kApplicationLogName).string()),
        peer_(node.peer_name),
        console_port_(node.console_port),
        vip_(core_config.vip),
        backend_(loop, [this](io::Severity severity, const std::string& line) { module_log_.write(severity, line); }),
        io_(authenticated_io(key)),
        node_(io_, std::move(core_config), listener()),
        control_(loop, [this](const ControlRequest& request) { return handle(request); }) {
    module_log_.set_echo(true);
  }

  LogFile& module_log() { return module_log_; }

  // The backend's I/O with its network wrapped by the cluster key's authentication:
  // the core is unchanged, every frame and heartbeat carries an HMAC.
  io::Io authenticated_io(const std::optional<auth::ClusterKey>& key) {
    io::Io plain = backend_.io();
    if (!key) return plain;
    nonces_ = auth::make_os_nonce_source();
    network_ = std::make_unique<auth::AuthenticatedNetwork>(plain.network, *key, *nonces_, plain.clock,
                                                            [this](const std::string& line) { module_log_.write(io::Severity::error, line); });
    return io::Io{plain.clock, plain.random, *network_, plain.fs, plain.processes, plain.services, plain.vip};
  }

  // "" when running.
  // stop_request: stops asked for from another thread (the Windows service); may be null.
  std::string start(const std::vector<CaptureMount>& mounts, StopRequest* stop_request) {
    if (auto error = control_.start(console_port_); !error.empty()) return error;
    auto capture = start_write_capture(loop_, node_, mounts, [this](const std::string& line) { module_log_.write(core_log_severity(line), line); });
    if (!capture.capture) return capture.error;
    capture_ = std::move(capture.capture);
    watch_signal(sigint_, SIGINT);
    watch_signal(sigterm_, SIGTERM);
    if (stop_request != nullptr) watch_stop_request(*stop_request);
    uv_timer_init(loop_, &progress_timer_);
    progress_timer_.data = this;
    uv_timer_start(&progress_timer_, [](uv_timer_t* timer) { static_cast<NodeDaemon*>(timer->data)->log_progress(); },
                   kProgressLogIntervalMs, kProgressLogIntervalMs);
    uv_timer_init(loop_, &release_memory_timer_);
    release_memory_timer_.data = this;
    uv_timer_start(&release_memory_timer_, [](uv_timer_t* timer) { static_cast<NodeDaemon*>(timer->data)->release_free_memory(); },
                   kReleaseFreeMemoryIntervalMs, kReleaseFreeMemoryIntervalMs);
    module_log_.write(io::Severity::info, "hamirrord started: node " + node_.name() + ", peer " + peer_ +
                               ", control API on 127.0.0.1:" + std::to_string(console_port_));
    if (vip_.address.empty()) {
      node_.start();
      return {};
    }
    // A node starts as no one's primary: a VIP left on this machine by a crashed run
    // (kill -9, a daemon that died) would answer for the cluster beside the real
    // primary. Removed first (idempotent), then the node starts, so a quick promotion
    // never races the removal.
    io_.vip.remove(vip_, [this](io::Error removed) {
      if (removed != io::Error::ok) {
        module_log_.write(io::Severity::error, "could not make sure the virtual IP " + vip_.address + " is not held here (" +
                                   std::string(io::error_name(removed)) + "); starting anyway");
      }
      if (!stopping_) node_.start();
    });
    return {};
  }

  bool stopped_cleanly() const { return stopped_cleanly_; }

 private:
  core::Node::Listener listener() {
    return core::Node::Listener{
        // The core's own log line already says "NODE: FROM -> TO: reason"; here only
        // the time of the change, which the state report shows.
        .on_state_change =
            [this](core::NodeState, core::NodeState to, const std::string&) {
              state_since_ = utc_timestamp_now();
              if (capture_) capture_->set_writable(to == core::NodeState::alone || to == core::NodeState::prim);
            },
        .on_log = [this](const std::string& line) { module_log_.write(core_log_severity(line), line); },
        .on_application_log =
            [this](const std::string& line) {
              if (log_script_output_) application_log_.write(io::Severity::info, line);
            }};
  }

  ControlResponse handle(const ControlRequest& request) {
    ControlApiContext context{node_, peer_, state_since_, module_log_, io_.clock.now_ns()};
    return handle_control_request(request, context);
  }

  void watch_signal(uv_signal_t& handle, int signal_number) {
    uv_signal_init(loop_, &handle);
    handle.data = this;
    // SIGTERM has no equivalent on Windows (libuv refuses it there); SIGINT is Ctrl-C.
    if (uv_signal_start(&handle, [](uv_signal_t* h, int number) { static_cast<NodeDaemon*>(h->data)->on_signal(number); },
                        signal_number) != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&handle), nullptr);
    }
  }

  void watch_stop_request(StopRequest& request) {
    uv_async_init(loop_, &stop_requested_, [](uv_async_t* handle) {
      auto* daemon = static_cast<NodeDaemon*>(handle->data);
      // STOP then SHUTDOWN asks twice: one clean stop, never the forced exit below.
      if (!daemon->stopping_) daemon->begin_stop("the service manager's stop");
    });
    stop_requested_.data = this;
    stop_request_ = &request;
    request.attach(&stop_requested_);
  }

  void on_signal(int signal_number) {
    begin_stop(signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  }

  void begin_stop(const std::string& name) {
    if (stopping_) {
      // A stop_prim that hangs should not hold the node for nicestoptimeout + forcestoptimeout
      // when the admin insists; the core treats this like a crash at the next start.
      module_log_.write(io::Severity::error, name + " again while stopping: exiting now, without a clean stop");
      std::fflush(nullptr);
      std::_Exit(1);
    }
    stopping_ = true;
    module_log_.write(io::Severity::info, name + " received: stopping the node (stop_prim, virtual IP removed, state saved)");
    node_.stop([this] {
      stopped_cleanly_ = true;
      capture_.reset();  // unmounted: the node no longer takes writes
      module_log_.write(io::Severity::info, "hamirrord stopped");
      shut_down();
    });
  }

  void shut_down() {
    control_.stop();
    for (uv_signal_t* handle : {&sigint_, &sigterm_}) {
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(handle))) uv_close(reinterpret_cast<uv_handle_t*>(handle), nullptr);
    }
    if (stop_request_ != nullptr) {
      stop_request_->detach();  // before the close: the SCM's thread must not signal a closed handle
      uv_close(reinterpret_cast<uv_handle_t*>(&stop_requested_), nullptr);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&progress_timer_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&release_memory_timer_), nullptr);
    uv_stop(loop_);
  }

  void log_progress() {
    const auto progress = node_.reintegration_progress();
    if (!progress) return;
    module_log_.write(io::Severity::info, "reintegration of " + peer_ + ": " +
                               describe_reintegration({progress->bytes_done, progress->bytes_to_do, progress->rate_bytes_per_s}));
  }

  // On the thread pool: trimming a large heap walks it, which the loop need not wait for.
  void release_free_memory() {
    uv::run_blocking(loop_, [] { platform::release_free_memory(); }, [] {});
  }

  uv_loop_t* loop_;
  bool log_script_output_;
  LogFile module_log_;
  LogFile application_log_;
  std::string peer_;
  std::string state_since_ = utc_timestamp_now();
  std::uint16_t console_port_;
  io::VipSpec vip_;  // the module's VIP (address empty: none)
  uv::UvBackend backend_;
  std::unique_ptr<auth::NonceSource> nonces_;
  std::unique_ptr<auth::AuthenticatedNetwork> network_;  // null without a key
  io::Io io_;
  core::Node node_;
  ControlServer control_;
  std::unique_ptr<WriteCapture> capture_;  // the mounts, once started
  uv_signal_t sigint_{};
  uv_signal_t sigterm_{};
  StopRequest* stop_request_ = nullptr;  // null unless run as a Windows service
  uv_async_t stop_requested_{};
  uv_timer_t progress_timer_{};
  uv_timer_t release_memory_timer_{};
  bool stopping_ = false;
  bool stopped_cleanly_ = false;
};

std::optional<std::string> create_directories(const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    std::error_code error;
    fs::create_directories(path, error);
    if (error) return "cannot create the directory " + path + ": " + error.message();
  }
  return std::nullopt;
}

// Says why the node cannot start, on stderr and to options.on_start_failed (with the
// details already printed on stderr: the configuration's diagnostics); returns exit_code.
int start_failed(const NodeDaemonOptions& options, int exit_code, const std::string& why,
                 const std::string& printed_details = {}) {
  std::fprintf(stderr, "hamirrord: %s\n", why.c_str());
  if (options.on_start_failed) options.on_start_failed(printed_details + why);
  return exit_code;
}

}  // namespace

int run_node_daemon(const NodeDaemonOptions& options) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  config::UserconfigOptions parse_options;
  parse_options.resolves = [&loop](const std::string& host) { return resolve_host(&loop, host).has_value(); };
  const auto checked = config::check_config_files(options.module_file, options.node_file, parse_options);
  std::fputs(checked.diagnostics.to_string().c_str(), stderr);
  if (!checked.module || !checked.node || checked.diagnostics.error_count() > 0) {
    return start_failed(options, kExitConfig,
                        "the configuration has errors (check it with: hamirror confcheck --userconfig " + options.module_file +
                            " --node " + options.node_file + ")",
                        checked.diagnostics.to_string());
  }
  const config::NodeConfig& node = *checked.node;
  auto mapped = map_node_config(node, *checked.module, locate_module(options.module_file), options.install_dir,
                                      [&loop](const std::string& host) { return resolve_host(&loop, host); });
  if (!mapped.config) return start_failed(options, kExitConfig, mapped.error);
  // `hamirror printi|printe` from start_prim/stop_prim finds this node's file.
  mapped.config->application.environment.extra.emplace_back("HAMIRROR_NODE", fs::absolute(options.node_file).string());
  std::vector<CaptureMount> mounts;
  for (std::size_t i = 0; i < checked.module->rfs.directories.size(); ++i) {
    const fs::path dir(checked.module->rfs.directories[i].dir);
    const fs::path mount_point = options.mount_prefix.empty() ? dir : fs::path(options.mount_prefix) / dir.relative_path();
    mounts.push_back({mount_point.string(), mapped.config->roots[i], static_cast<std::uint32_t>(i)});
  }
  std::vector<std::string> directories{node.state_dir, node.log_dir, mapped.config->state_dir};
  directories.insert(directories.end(), mapped.config->roots.begin(), mapped.config->roots.end());
  for (const auto& mount : mounts) {
    // A crashed daemon's stale mount cannot even be stat'ed (ENOTCONN): the FUSE
    // frontend recovers it at mount time; only a missing mount point is created here.
    std::error_code error;
    if (!fs::exists(mount.mount_point, error) && !error) directories.push_back(mount.mount_point);
  }
  if (const auto error = create_directories(directories)) return start_failed(options, kExitStartup, *error);
  const auto lock = acquire_pid_lock((fs::path(node.state_dir) / "hamirrord.pid").string());
  if (!lock.lock) return start_failed(options, kExitStartup, lock.error);

  std::optional<auth::ClusterKey> key;
  std::string key_warning;
  if (!node.key_file.empty()) {
    auto loaded = auth::load_key(node.key_file);
    if (!loaded.key) {
      return start_failed(options, kExitConfig,
                          loaded.error + " (key_file, " + options.node_file + ":" + std::to_string(node.key_file_line) + ")");
    }
    key = loaded.key;
    key_warning = loaded.warning;
  } else {
    // The parser accepts no key_file without the admin's insecure = true.
    key_warning = "INSECURE: insecure = true and no key_file in " + options.node_file +
                  ": the peer and the witness are not authenticated, anyone who reaches this node's ports can pose "
                  "as them (make a key with `hamirror genkey`, copy it to both nodes and the witness, name it with "
                  "key_file = \"PATH\" under [node] and remove insecure)";
  }

  platform::prepare_process_for_io();
  int exit_code = 0;
  {
    NodeDaemon daemon(&loop, node, *mapped.config, key, checked.module->user.log_script_output);
    if (!key_warning.empty()) daemon.module_log().write(io::Severity::warn, key_warning);
    if (const auto error = daemon.start(mounts, options.stop_request); !error.empty()) {
      daemon.module_log().write(io::Severity::error, "hamirrord cannot start: " + error);
      if (options.on_start_failed) options.on_start_failed(error);
      return kExitStartup;
    }
    if (options.on_running) options.on_running();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_run(&loop, UV_RUN_NOWAIT);  // the close callbacks of what shut_down closed, before the memory goes
    exit_code = daemon.stopped_cleanly() ? 0 : 1;
  }
  // Let the handles closed by the destructors finish closing; the process exits next,
  // so a handle still open is not worth waiting for.
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_loop_close(&loop);  // UV_EBUSY if a handle is still closing: harmless, the process ends
  return exit_code;
}

}  // namespace hamirror::daemon
