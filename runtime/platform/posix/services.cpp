// systemd units through systemctl.
//
// `systemctl start|stop` already waits for its job; afterwards the unit's ActiveState
// is polled (`systemctl show -p ActiveState`) until it reaches the target state, because
// a job "done" does not always mean active (Type=simple units, ExecStartPost, a unit
// that dies right after starting). `systemctl show` is used rather than `is-active`
// because it also tells an unknown unit (LoadState=not-found) from a stopped one.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "io/assert.h"
#include "platform/platform.h"
#include "platform/posix/run_command.h"

namespace hamirror::platform {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kQueryTimeoutMs = 10'000;
constexpr std::int64_t kPollIntervalMs = 100;
// systemctl's documented exit codes (LSB): 4 insufficient privilege, 5 not installed.
constexpr int kExitNoPrivilege = 4;
constexpr int kExitNotInstalled = 5;

void set_detail(std::string* detail, std::string text) {
  if (detail != nullptr) *detail = std::move(text);
}

// sd_booted()'s test: this directory exists only when systemd is PID 1.
bool systemd_running() { return ::access("/run/systemd/system", F_OK) == 0; }

io::Error check(const std::string& name, std::string* detail) {
  if (name.empty() || name.starts_with('-') || name.find_first_of(" \t\n/") != std::string::npos) {
    set_detail(detail, "not a unit name: '" + name + "'");
    return io::Error::invalid_argument;
  }
  if (!systemd_running()) {
    set_detail(detail, "systemd is not running on this machine (no /run/systemd/system): cannot control unit '" +
                           name + "'");
    return io::Error::not_supported;
  }
  return io::Error::ok;
}

io::Result<posix::CommandResult> systemctl(const std::vector<std::string>& args, std::int64_t timeout_ms,
                                           std::string* detail) {
  const std::string program = posix::find_program("systemctl");
  if (program.empty()) {
    set_detail(detail, "systemd runs but the systemctl program is not found");
    return io::Error::not_supported;
  }
  std::vector<std::string> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  auto run = posix::run_command(argv, timeout_ms);
  if (!run) set_detail(detail, "cannot run systemctl: " + std::string(io::error_name(run.error())));
  return run;
}

io::ServiceState state_from_active(const std::string& active) {
  if (active == "active" || active == "reloading") return io::ServiceState::running;
  if (active == "inactive" || active == "failed") return io::ServiceState::stopped;
  if (active == "activating") return io::ServiceState::starting;
  if (active == "deactivating") return io::ServiceState::stopping;
  return io::ServiceState::unknown;
}

std::string property(const std::string& output, const std::string& key) {
  const std::string prefix = key + "=";
  std::size_t begin = 0;
  while (begin < output.size()) {
    std::size_t end = output.find('\n', begin);
    if (end == std::string::npos) end = output.size();
    if (output.compare(begin, prefix.size(), prefix) == 0) {
      return output.substr(begin + prefix.size(), end - begin - prefix.size());
    }
    begin = end + 1;
  }
  return {};
}

// ActiveState, or not_found for a unit systemd does not know. Assumes check() passed.
io::Result<std::string> active_state(const std::string& name, std::string* detail) {
  auto run = systemctl({"show", "-p", "LoadState", "-p", "ActiveState", "--", name}, kQueryTimeoutMs, detail);
  if (!run) return run.error();
  if (run->timed_out || run->exit_code != 0) {
    set_detail(detail, "systemctl show " + name + ": " + posix::describe(*run));
    return run->timed_out ? io::Error::timed_out : io::Error::unknown;
  }
  const std::string load = property(run->output, "LoadState");
  if (load == "not-found") {
    set_detail(detail, "unit '" + name + "' not found (LoadState=not-found)");
    return io::Error::not_found;
  }
  const std::string active = property(run->output, "ActiveState");
  set_detail(detail, "LoadState=" + load + " ActiveState=" + active);
  return active;
}

io::Error error_from_exit(const posix::CommandResult& result) {
  if (result.timed_out) return io::Error::timed_out;
  if (result.exit_code == kExitNotInstalled) return io::Error::not_found;
  if (result.exit_code == kExitNoPrivilege) return io::Error::permission_denied;
  return io::Error::unknown;
}

// Runs `systemctl <verb> NAME`, then polls until the unit is in `target`.
io::Error transition(const std::string& verb, const std::string& name, io::ServiceState target,
                     std::int64_t timeout_ms, std::string* detail) {
  HM_ASSERT(timeout_ms > 0);
  if (const io::Error error = check(name, detail); error != io::Error::ok) return error;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  if (auto known = active_state(name, detail); !known) return known.error();

  auto run = systemctl({verb, "--", name}, timeout_ms, detail);
  if (!run) return run.error();
  if (run->timed_out || run->exit_code != 0 || run->term_signal != 0) {
    set_detail(detail, "systemctl " + verb + " " + name + ": " + posix::describe(*run));
    return error_from_exit(*run);
  }
  // Bounded by the deadline: one poll per kPollIntervalMs.
  for (;;) {
    auto active = active_state(name, detail);
    if (!active) return active.error();
    const io::ServiceState state = state_from_active(*active);
    if (state == target) return io::Error::ok;
    if (target == io::ServiceState::running && *active == "failed") {
      set_detail(detail, "unit '" + name + "' failed while starting (ActiveState=failed)");
      return io::Error::unknown;
    }
    const auto left = deadline - Clock::now();
    if (left <= std::chrono::milliseconds(0)) {
      set_detail(detail, "unit '" + name + "' still " + *active + " after " + std::to_string(timeout_ms) + " ms");
      return io::Error::timed_out;
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(left, std::chrono::milliseconds(kPollIntervalMs)));
  }
}

}  // namespace

io::Error service_start(const std::string& name, std::int64_t timeout_ms, std::string* detail) {
  return transition("start", name, io::ServiceState::running, timeout_ms, detail);
}

io::Error service_stop(const std::string& name, std::int64_t timeout_ms, std::string* detail) {
  return transition("stop", name, io::ServiceState::stopped, timeout_ms, detail);
}

io::Result<io::ServiceState> service_query(const std::string& name, std::string* detail) {
  if (const io::Error error = check(name, detail); error != io::Error::ok) return error;
  auto active = active_state(name, detail);
  if (!active) return active.error();
  return state_from_active(*active);
}

}  // namespace hamirror::platform
