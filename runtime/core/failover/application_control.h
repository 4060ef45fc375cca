// Starting and stopping the user's application on this node: the start_prim and
// stop_prim scripts (SafeKit's names and calling convention) and, optionally, native
// OS services (Windows SCM services, systemd units), through io::Processes and
// io::Services only.
//
// start:  start_prim (start_timeout_ms), then each service started in list order.
//         The first failure ends the start: later steps are not tried.
// stop, graceful (a swap, an admin stop, a restart):
//         the plain pass — each service stopped in reverse order (nice_stop_timeout_ms
//         each), then `stop_prim` with no argument (nice_stop_timeout_ms) — then, if
//         any plain step timed out or failed, the force pass.
// stop, force (fencing):
//         the force pass only — `stop_prim force` (force_stop_timeout_ms), then each
//         service stopped again in reverse order (force_stop_timeout_ms each).
// SafeKit escalates to `force` when stop_prim outlives nicestoptimeout; we also
// escalate when the plain pass reports a failure, because a stop that says it failed
// may have left the application running, and the force pass exists to make sure it
// is not. A timed-out run is killed by the backend (io::Processes' contract).
//
// Ordering, so that nothing can leave the application started by accident:
// - One request runs at a time; requests queue (kMaxQueuedApplicationRequests).
// - A stop request cancels queued starts that have not begun, and a start in progress
//   stops after its current step (it completes with Error::cancelled).
// - A start never begins while any stop_prim run or service stop is still in flight,
//   even one a force escalation abandoned: a slow plain stop_prim that finished after
//   a new start_prim would stop the freshly started application.
// - A force stop during a graceful stop's plain pass escalates it at once: the force
//   pass begins now and both callers hear the escalated result. Running `stop_prim
//   force` beside a slow plain stop_prim is what the force pass is for.
// - A force stop never runs beside start_prim: it waits for the start_prim in flight
//   to end (at most start_timeout_ms), so the application is not started after it.
// - A stop joins a stop already queued or running; a start joins a start queued
//   behind nothing stronger.
//
// Scripts' environment (added to the daemon's own). SafeKit-compatible names, so
// existing scripts keep working, and our own HAMIRROR_* names; an empty setting is
// not exported:
//   SAFE, HAMIRROR_HOME          installation directory (as configured, e.g. with its
//                                trailing separator: SafeKit scripts write %SAFE%safekit)
//   SAFEBIN, HAMIRROR_BIN        the product's programs (the CLI for printi/printe/stop)
//   SAFEVAR, HAMIRROR_VAR        the product's state and log directory
//   SAFEMODULE, HAMIRROR_MODULE  the module (cluster) name
//   SAFEUSERBIN, HAMIRROR_SCRIPTS  the directory holding start_prim / stop_prim
//   HAMIRROR_NODE, HAMIRROR_PEER this node's and the peer's names
//   HAMIRROR_ACTION              start_prim | stop_prim
//   HAMIRROR_STOP_MODE           nice | force (stop_prim only; force is also argv[1])
//   HAMIRROR_REASON              why the module runs the script, one line
// plus ScriptEnvironment::extra, verbatim.
//
// Reporting: every run, service call and result goes to the module log with its
// reason; each line a script printed goes to the application log as
// "<script>: <line>" (SafeKit's userlog).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/failover/deferred_calls.h"
#include "io/io.h"

namespace hamirror::core {

// Bounds the requests waiting for the application: the node issues at most a start
// and a stop per role change, so a longer queue is a bug upstream.
constexpr std::size_t kMaxQueuedApplicationRequests = 8;
// Bounds the callers joined to one request (a stop joined by leave, fence, restart...).
constexpr std::size_t kMaxApplicationRequestWaiters = 8;
// Bounds the native services one module controls.
constexpr std::size_t kMaxApplicationServices = 32;
// Bounds the lines of one script's output copied to the application log (the output
// itself is bounded by io::kMaxCapturedOutputBytes).
constexpr std::size_t kMaxApplicationLogLinesPerRun = 1000;

struct ScriptEnvironment {
  std::string module_name;
  std::string node_name;
  std::string peer_name;
  std::string install_dir;
  std::string bin_dir;
  std::string var_dir;
  std::string scripts_dir;
  std::vector<std::pair<std::string, std::string>> extra;
};

struct ApplicationConfig {
  std::string start_prim;  // program path; empty: no script
  std::string stop_prim;   // program path; empty: no script
  std::vector<std::string> services;  // native services; may be empty
  std::string working_dir;            // empty: the daemon's
  std::int64_t start_timeout_ms = 300'000;       // start_prim, and each service start
  std::int64_t nice_stop_timeout_ms = 300'000;   // <user nicestoptimeout="300"> (s there)
  std::int64_t force_stop_timeout_ms = 300'000;  // <user forcestoptimeout="300">
  ScriptEnvironment environment;
};

// What a request came to. error: ok; cancelled (superseded, see above); not_found and
// other seam errors (a script or service that could not be run); timed_out; unknown
// (a script exited non-zero or died of a signal: it said it failed).
struct ApplicationResult {
  io::Error error = io::Error::ok;
  std::string reason;  // one sentence for the module log
  bool forced = false;  // a stop needed the force pass
  bool ok() const { return error == io::Error::ok; }
};

class ApplicationControl {
 public:
  enum class StopMode : std::uint8_t { graceful, force };
  using DoneFn = std::function<void(const ApplicationResult&)>;
  struct Listener {
    std::function<void(const std::string& line)> log;              // module log
    std::function<void(const std::string& line)> application_log;  // script output
  };

  // The listener must not destroy this object from inside a callback.
  ApplicationControl(io::Io& io, ApplicationConfig config, Listener listener);
  ~ApplicationControl();
  ApplicationControl(const ApplicationControl&) = delete;
  ApplicationControl& operator=(const ApplicationControl&) = delete;

  // done runs exactly once, on the loop, never inside the call.
  void start(const std::string& reason, DoneFn done);
  void stop(StopMode mode, const std::string& reason, DoneFn done);

  // Nothing queued, running or still in flight at the seam.
  bool idle() const { return requests_.empty() && calls_in_flight_ == 0; }
  std::size_t calls_in_flight() const { return calls_in_flight_; }
  const ApplicationConfig& config() const { return config_; }

  // The variables a script gets for `action` ("start_prim"/"stop_prim").
  std::vector<std::pair<std::string, std::string>> script_environment(const std::string& action,
                                                                      const std::string& stop_mode,
                                                                      const std::string& reason) const;

 private:
  enum class Kind : std::uint8_t { start, stop_graceful, stop_force };
  enum class Phase : std::uint8_t { queued, start_script, start_services, plain_pass, force_pass };
  struct Request {
    Kind kind = Kind::start;
    std::string reason;
    std::vector<DoneFn> waiters;
    Phase phase = Phase::queued;
    bool cancel_requested = false;  // a start told to stop after its current step
    std::size_t next_service = 0;   // progress within the current phase
    std::string history;            // what happened so far, for the final reason
    io::Error force_error = io::Error::ok;  // the force pass's first failure
  };
  // A seam call's completion carries the token of the step that issued it; a step
  // abandoned by an escalation has a stale token and only settles its bookkeeping.
  using Token = std::uint64_t;

  void pump();
  void begin(Request& request);
  void continue_start(Request& request);
  void continue_plain(Request& request);
  void begin_force_pass(Request& request, const std::string& why);
  void continue_force(Request& request);
  void finish(io::Error error, const std::string& reason);

  void run_script(const std::string& action, bool force, std::int64_t timeout_ms, const std::string& reason,
                  std::function<void(io::Error, const std::string&)> next);
  void call_service(const std::string& name, bool start, std::int64_t timeout_ms,
                    std::function<void(io::Error, const std::string&)> next);
  // Wraps a seam completion: counts the call in flight, drops it if this object is
  // gone or the step was abandoned, and pumps the queue when it settles.
  template <typename Fn>
  auto guarded(Fn fn);

  void cancel_queued_starts(const std::string& why);
  Request* current() { return requests_.empty() || requests_.front().phase == Phase::queued ? nullptr : &requests_.front(); }
  static bool is_stop(Kind kind) { return kind != Kind::start; }
  void log(const std::string& line) const;
  void log_output(const std::string& script, const io::ProcessResult& result) const;

  io::Io& io_;
  ApplicationConfig config_;
  Listener listener_;
  DeferredCalls deferred_;
  std::deque<Request> requests_;  // front: the one running (once begun)
  std::size_t calls_in_flight_ = 0;
  Token step_token_ = 0;
  bool in_public_call_ = false;  // completions must never run inside start()/stop()
  std::shared_ptr<char> lifetime_ = std::make_shared<char>(0);
};

std::string_view stop_mode_name(ApplicationControl::StopMode mode);

}  // namespace hamirror::core
