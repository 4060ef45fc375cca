// One simulated node with what the failover area acts on: scripted start_prim /
// stop_prim, a process table, a VIP in the cluster's registry (with its own latencies),
// a write gate standing for the replicated directories, and the logs. Every fact a
// test asserts on is noted with its virtual time.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/failover/application_control.h"
#include "core/failover/primary_role.h"
#include "io/clock.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::core::testing {

constexpr const char* kNode = "alpha";
constexpr const char* kVipAddress = "10.0.0.99";
constexpr const char* kAppProcess = "appd";
constexpr const char* kStartPrim = "/opt/hamirror/modules/mirror/bin/start_prim";
constexpr const char* kStopPrim = "/opt/hamirror/modules/mirror/bin/stop_prim";

inline std::int64_t ms(std::int64_t n) { return n * io::kNsPerMs; }
inline std::int64_t s(std::int64_t n) { return n * io::kNsPerS; }

struct Noted {
  std::int64_t at_ns = 0;
  std::string what;
};

// How the scripted application behaves; tests change it before acting.
struct AppBehaviour {
  std::int64_t start_duration_ns = ms(500);
  int start_exit_code = 0;
  std::int64_t nice_stop_duration_ns = ms(300);
  std::int64_t force_stop_duration_ns = ms(100);
  int nice_stop_exit_code = 0;
  int force_stop_exit_code = 0;
  std::size_t instances = 1;  // processes named kAppProcess that start_prim starts
};

class FailoverWorld {
 public:
  explicit FailoverWorld(std::uint64_t seed, sim::SimVirtualIpOptions vip_options = {})
      : cluster_(seed),
        node_(cluster_.add_node({.name = kNode, .hosts = {{"lan", "10.0.0.1"}}})),
        vip_(cluster_.vips(), kNode, cluster_.scheduler(), vip_options),
        io_{node_.io().clock, node_.io().random, node_.io().network, node_.io().fs,
            node_.io().processes, node_.io().services, vip_} {
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    script_application();
  }

  ~FailoverWorld() {
    // The logs on failure, or always with HAMIRROR_TEST_LOG=1 (reading a story).
    if (::testing::Test::HasFailure() || std::getenv("HAMIRROR_TEST_LOG") != nullptr) {
      std::printf("seed %llu: module log\n", static_cast<unsigned long long>(cluster_.seed()));
      for (const std::string& line : module_log_) std::printf("  %s\n", line.c_str());
      std::printf("application log\n");
      for (const std::string& line : application_log_) std::printf("  %s\n", line.c_str());
    }
  }

  // ---- the world ----
  sim::SimCluster& cluster() { return cluster_; }
  sim::SimNode& node() { return node_; }
  sim::SimVirtualIp& vip() { return vip_; }
  io::Io& io() { return io_; }
  std::int64_t now_ns() { return cluster_.scheduler().now_ns(); }
  AppBehaviour& app_behaviour() { return behaviour_; }

  void run_for(std::int64_t duration_ns) { cluster_.scheduler().run_for(duration_ns); }
  bool run_until(const std::function<bool()>& done, std::int64_t bound_ns = s(3600)) {
    return cluster_.scheduler().run_until(done, now_ns() + bound_ns);
  }

  bool vip_held() { return cluster_.vips().held_by(kVipAddress, kNode); }
  const std::vector<sim::VipInterval>& vip_history() { return cluster_.vips().history(kVipAddress); }
  std::size_t app_instances() {
    std::size_t n = 0;
    node_.processes().list_by_name(kAppProcess, [&n](io::Result<std::vector<io::ProcessInfo>> found) {
      n = found->size();
    });
    run_for(0);
    return n;
  }

  // ---- what happened ----
  void note(const std::string& what) { noted_.push_back({now_ns(), what}); }
  const std::vector<Noted>& noted() const { return noted_; }
  std::optional<std::int64_t> first(const std::string& what) const {
    for (const Noted& n : noted_) {
      if (n.what == what) return n.at_ns;
    }
    return std::nullopt;
  }
  std::size_t count(const std::string& what) const {
    std::size_t n = 0;
    for (const Noted& entry : noted_) n += entry.what == what ? 1 : 0;
    return n;
  }
  std::vector<std::string> sequence() const {
    std::vector<std::string> out;
    for (const Noted& n : noted_) out.push_back(n.what);
    return out;
  }
  const std::vector<std::string>& module_log() const { return module_log_; }
  const std::vector<std::string>& application_log() const { return application_log_; }
  bool logged(const std::string& fragment) const {
    for (const std::string& line : module_log_) {
      if (line.find(fragment) != std::string::npos) return true;
    }
    return false;
  }
  const io::ProcessSpec& last_spec(const std::string& script) const {
    return script == "start_prim" ? last_start_spec_ : last_stop_spec_;
  }

  // ---- the write gate: the node's side of writability ----
  bool writable() const { return writable_; }
  std::int64_t writability_latency_ns = ms(50);
  io::Error make_writable_error = io::Error::ok;

  PrimaryRole::Hooks hooks() {
    return PrimaryRole::Hooks{
        .make_writable =
            [this](PrimaryRole::HookDoneFn done) {
              note("make_writable called");
              const std::uint64_t refusals = refusals_;
              after(writability_latency_ns, [this, refusals, done = std::move(done)] {
                // A refusal issued meanwhile wins: the gate stays shut (the hook contract).
                if (make_writable_error == io::Error::ok && refusals == refusals_) writable_ = true;
                note("writable");
                done(make_writable_error);
              });
            },
        .make_read_only =
            [this](PrimaryRole::HookDoneFn done) {
              writable_ = false;
              note("read_only");
              after(writability_latency_ns, [done = std::move(done)] { done(io::Error::ok); });
            },
        .refuse_writes =
            [this] {
              writable_ = false;
              ++refusals_;
              note("writes refused");
            },
    };
  }

  // ---- the application ----
  ApplicationConfig app_config() const {
    ApplicationConfig config;
    config.start_prim = kStartPrim;
    config.stop_prim = kStopPrim;
    config.start_timeout_ms = 60'000;
    config.nice_stop_timeout_ms = 5'000;
    config.force_stop_timeout_ms = 5'000;
    config.environment = {.module_name = "mirror",
                          .node_name = kNode,
                          .peer_name = "beta",
                          .install_dir = "/opt/hamirror/",
                          .bin_dir = "/opt/hamirror/bin",
                          .var_dir = "/var/lib/hamirror",
                          .scripts_dir = "/opt/hamirror/modules/mirror/bin",
                          .extra = {{"APP_DB", "/data/db"}}};
    return config;
  }
  ApplicationControl::Listener app_listener() {
    return {.log = [this](const std::string& line) { module_log_.push_back(sim::format_time(now_ns()) + " " + line); },
            .application_log = [this](const std::string& line) { application_log_.push_back(line); }};
  }
  PrimaryRole::LogFn role_log() {
    return [this](const std::string& line) { module_log_.push_back(sim::format_time(now_ns()) + " " + line); };
  }
  std::function<void(const std::string&)> log_fn() { return role_log(); }

 private:
  void after(std::int64_t delay_ns, std::function<void()> fn) {
    auto timer = std::shared_ptr<io::Timer>(io_.clock.make_timer());
    timers_.push_back(timer);
    timer->start(delay_ns, 0, std::move(fn));
  }

  void script_application() {
    node_.processes().script("start_prim", [this](const io::ProcessSpec& spec) {
      last_start_spec_ = spec;
      note("start_prim run");
      // The application's processes appear as start_prim runs.
      for (std::size_t i = 0; i < behaviour_.instances; ++i) node_.processes().start_process(kAppProcess);
      return sim::ScriptedRun{.exit_code = behaviour_.start_exit_code,
                              .duration_ns = behaviour_.start_duration_ns,
                              .output = "Running start_prim\nstarting appd\n"};
    });
    node_.processes().script("stop_prim", [this](const io::ProcessSpec& spec) {
      last_stop_spec_ = spec;
      const bool force = !spec.args.empty() && spec.args.front() == "force";
      note(force ? "stop_prim force run" : "stop_prim run");
      const std::int64_t duration = force ? behaviour_.force_stop_duration_ns : behaviour_.nice_stop_duration_ns;
      // The application is gone when a stop that completes in time completes; we
      // approximate by killing it now unless the stop outlives its timeout.
      const std::int64_t timeout_ns = spec.timeout_ms * io::kNsPerMs;
      if (duration <= timeout_ns) node_.processes().kill_by_name(kAppProcess);
      return sim::ScriptedRun{.exit_code = force ? behaviour_.force_stop_exit_code : behaviour_.nice_stop_exit_code,
                              .duration_ns = duration,
                              .output = force ? "Running stop_prim force\n" : "Running stop_prim\n"};
    });
  }

  sim::SimCluster cluster_;
  sim::SimNode& node_;
  sim::SimVirtualIp vip_;
  io::Io io_;
  AppBehaviour behaviour_;
  std::vector<Noted> noted_;
  std::vector<std::string> module_log_;
  std::vector<std::string> application_log_;
  io::ProcessSpec last_start_spec_;
  io::ProcessSpec last_stop_spec_;
  bool writable_ = false;
  std::uint64_t refusals_ = 0;
  std::vector<std::shared_ptr<io::Timer>> timers_;
};

// Captures a completion for later assertions.
template <typename T>
struct Captured {
  std::optional<T> value;
  std::int64_t at_ns = -1;
  int calls = 0;
  std::function<void(const T&)> callback(FailoverWorld& world) {
    return [this, &world](const T& v) {
      value = v;
      at_ns = world.now_ns();
      ++calls;
    };
  }
  bool done() const { return calls > 0; }
};

}  // namespace hamirror::core::testing
