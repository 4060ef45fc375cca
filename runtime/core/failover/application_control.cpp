#include "core/failover/application_control.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::core {
namespace {

std::string describe_run(const std::string& label, const io::Result<io::ProcessResult>& result,
                         std::int64_t elapsed_ms, io::Error& error) {
  if (!result.ok()) {
    error = result.error();
    return label + " could not be run: " + std::string(io::error_name(error));
  }
  if (result->timed_out) {
    error = io::Error::timed_out;
    return label + " timed out after " + std::to_string(elapsed_ms) + " ms and was killed";
  }
  if (result->term_signal != 0) {
    error = io::Error::unknown;
    return label + " died of signal " + std::to_string(result->term_signal);
  }
  if (result->exit_code != 0) {
    error = io::Error::unknown;
    return label + " exited with code " + std::to_string(result->exit_code);
  }
  error = io::Error::ok;
  return label + " exited 0 after " + std::to_string(elapsed_ms) + " ms";
}

void append(std::string& history, const std::string& text) {
  if (!history.empty()) history += "; ";
  history += text;
}

}  // namespace

std::string_view stop_mode_name(ApplicationControl::StopMode mode) {
  return mode == ApplicationControl::StopMode::graceful ? "graceful" : "force";
}

ApplicationControl::ApplicationControl(io::Io& io, ApplicationConfig config, Listener listener)
    : io_(io), config_(std::move(config)), listener_(std::move(listener)), deferred_(io.clock) {
  HM_ASSERT(listener_.log && listener_.application_log);
  HM_ASSERT(config_.start_timeout_ms > 0 && config_.nice_stop_timeout_ms > 0 && config_.force_stop_timeout_ms > 0);
  HM_ASSERT(config_.services.size() <= kMaxApplicationServices);
  for (const std::string& service : config_.services) HM_ASSERT(!service.empty());
}

// Seam calls still in flight hold only a weak reference to lifetime_: their
// completions find it expired and touch nothing.
ApplicationControl::~ApplicationControl() = default;

std::vector<std::pair<std::string, std::string>> ApplicationControl::script_environment(
    const std::string& action, const std::string& stop_mode, const std::string& reason) const {
  const ScriptEnvironment& e = config_.environment;
  std::vector<std::pair<std::string, std::string>> env;
  const auto both = [&env](const char* safekit, const char* ours, const std::string& value) {
    if (value.empty()) return;
    env.emplace_back(safekit, value);
    env.emplace_back(ours, value);
  };
  const auto ours = [&env](const char* name, const std::string& value) {
    if (!value.empty()) env.emplace_back(name, value);
  };
  both("SAFE", "HAMIRROR_HOME", e.install_dir);
  both("SAFEBIN", "HAMIRROR_BIN", e.bin_dir);
  both("SAFEVAR", "HAMIRROR_VAR", e.var_dir);
  both("SAFEMODULE", "HAMIRROR_MODULE", e.module_name);
  both("SAFEUSERBIN", "HAMIRROR_SCRIPTS", e.scripts_dir);
  // HAMIRROR_NODE is the CLI's node *file* (hamirror printi from a script): the
  // daemon passes it in `extra`; the name has a variable of its own.
  ours("HAMIRROR_NODE_NAME", e.node_name);
  ours("HAMIRROR_PEER", e.peer_name);
  ours("HAMIRROR_ACTION", action);
  ours("HAMIRROR_STOP_MODE", stop_mode);
  // One line: the variable is read by scripts, and a newline would split log lines.
  std::string one_line = reason;
  for (char& c : one_line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  ours("HAMIRROR_REASON", one_line);
  for (const auto& pair : e.extra) env.push_back(pair);
  return env;
}

namespace {
// Marks the span of a public call, so that finish() can assert it is not inside one.
class PublicCall {
 public:
  explicit PublicCall(bool& flag) : flag_(flag) {
    HM_ASSERT(!flag_);  // no re-entry from a callback
    flag_ = true;
  }
  ~PublicCall() { flag_ = false; }
  PublicCall(const PublicCall&) = delete;
  PublicCall& operator=(const PublicCall&) = delete;

 private:
  bool& flag_;
};
}  // namespace

void ApplicationControl::start(const std::string& reason, DoneFn done) {
  HM_ASSERT(done);
  const PublicCall call(in_public_call_);
  if (!requests_.empty() && requests_.back().kind == Kind::start && !requests_.back().cancel_requested) {
    Request& joined = requests_.back();
    HM_ASSERT(joined.waiters.size() < kMaxApplicationRequestWaiters);
    joined.waiters.push_back(std::move(done));
    log("application start requested (" + reason + "): joins the start already requested");
    return;
  }
  HM_ASSERT(requests_.size() < kMaxQueuedApplicationRequests);
  Request request;
  request.kind = Kind::start;
  request.reason = reason;
  request.waiters.push_back(std::move(done));
  requests_.push_back(std::move(request));
  log("application start requested: " + reason);
  deferred_.post([this] { pump(); });
}

void ApplicationControl::stop(StopMode mode, const std::string& reason, DoneFn done) {
  HM_ASSERT(done);
  const PublicCall call(in_public_call_);
  const Kind kind = mode == StopMode::graceful ? Kind::stop_graceful : Kind::stop_force;
  log("application " + std::string(stop_mode_name(mode)) + " stop requested: " + reason);
  cancel_queued_starts("a stop was requested (" + reason + ")");
  Request* running = current();
  if (running != nullptr && running->kind == Kind::start && !running->cancel_requested) {
    running->cancel_requested = true;
    log("the application start under way stops after its current step: a stop was requested");
  }
  // After the cancellation above at most one stop is queued or running: a second stop
  // always joins the first.
  for (Request& existing : requests_) {
    if (!is_stop(existing.kind)) continue;
    HM_ASSERT(existing.waiters.size() < kMaxApplicationRequestWaiters);
    existing.waiters.push_back(std::move(done));
    if (kind == Kind::stop_force && existing.kind == Kind::stop_graceful) {
      existing.kind = Kind::stop_force;
      if (existing.phase == Phase::plain_pass) {
        begin_force_pass(existing, "escalated to force at once: " + reason);
      } else if (existing.phase == Phase::queued) {
        log("the queued graceful stop becomes a force stop: " + reason);
      } else {
        log("the stop joins the force pass under way");
      }
    } else {
      log("the stop joins the stop already requested");
    }
    return;
  }
  HM_ASSERT(requests_.size() < kMaxQueuedApplicationRequests);
  Request request;
  request.kind = kind;
  request.reason = reason;
  request.waiters.push_back(std::move(done));
  requests_.push_back(std::move(request));
  deferred_.post([this] { pump(); });
}

void ApplicationControl::cancel_queued_starts(const std::string& why) {
  for (auto it = requests_.begin(); it != requests_.end();) {
    if (it->kind != Kind::start || it->phase != Phase::queued) {
      ++it;
      continue;
    }
    log("application start cancelled before it began: " + why);
    ApplicationResult result{io::Error::cancelled, "application start cancelled before it began: " + why};
    for (DoneFn& done : it->waiters) {
      deferred_.post([done = std::move(done), result] { done(result); });
    }
    it = requests_.erase(it);
  }
}

void ApplicationControl::pump() {
  if (requests_.empty() || current() != nullptr) return;
  Request& next = requests_.front();
  if (next.kind == Kind::start && calls_in_flight_ > 0) {
    // Woken again when the last call settles (see guarded()).
    log("application start waits for " + std::to_string(calls_in_flight_) + " stop call(s) still in flight");
    return;
  }
  begin(next);
}

void ApplicationControl::begin(Request& request) {
  HM_ASSERT(request.phase == Phase::queued);
  switch (request.kind) {
    case Kind::start:
      log("starting the application: " + request.reason);
      request.phase = Phase::start_script;
      if (config_.start_prim.empty()) {
        request.phase = Phase::start_services;
        continue_start(request);
        return;
      }
      run_script("start_prim", false, config_.start_timeout_ms, request.reason,
                 [this](io::Error error, const std::string& text) {
                   Request& self = requests_.front();
                   append(self.history, text);
                   if (error != io::Error::ok) {
                     finish(error, "application start failed: " + self.history);
                     return;
                   }
                   self.phase = Phase::start_services;
                   continue_start(self);
                 });
      return;
    case Kind::stop_graceful:
      log("stopping the application gracefully: " + request.reason);
      request.phase = Phase::plain_pass;
      request.next_service = 0;
      continue_plain(request);
      return;
    case Kind::stop_force:
      log("stopping the application by force: " + request.reason);
      begin_force_pass(request, "");
      return;
  }
}

void ApplicationControl::continue_start(Request& request) {
  HM_ASSERT(request.phase == Phase::start_services);
  if (request.cancel_requested) {
    append(request.history, "the rest of the start was cancelled by a stop request");
    finish(io::Error::cancelled, "application start cancelled: " + request.history);
    return;
  }
  if (request.next_service == config_.services.size()) {
    finish(io::Error::ok, "application started: " + (request.history.empty() ? "nothing to run" : request.history));
    return;
  }
  call_service(config_.services[request.next_service], true, config_.start_timeout_ms,
               [this](io::Error error, const std::string& text) {
                 Request& self = requests_.front();
                 append(self.history, text);
                 if (error != io::Error::ok) {
                   finish(error, "application start failed: " + self.history);
                   return;
                 }
                 ++self.next_service;
                 continue_start(self);
               });
}

// Plain pass steps: services in reverse order (next_service 0..n-1), then the script
// (next_service == n). The first failure or timeout switches to the force pass.
void ApplicationControl::continue_plain(Request& request) {
  HM_ASSERT(request.phase == Phase::plain_pass);
  const std::size_t count = config_.services.size();
  const auto after = [this](io::Error error, const std::string& text) {
    Request& self = requests_.front();
    append(self.history, text);
    if (error != io::Error::ok) {
      begin_force_pass(self, "");
      return;
    }
    ++self.next_service;
    continue_plain(self);
  };
  if (request.next_service < count) {
    call_service(config_.services[count - 1 - request.next_service], false, config_.nice_stop_timeout_ms, after);
    return;
  }
  if (request.next_service == count && !config_.stop_prim.empty()) {
    run_script("stop_prim", false, config_.nice_stop_timeout_ms, request.reason, after);
    return;
  }
  finish(io::Error::ok, "application stopped: " + (request.history.empty() ? "nothing to run" : request.history));
}

void ApplicationControl::begin_force_pass(Request& request, const std::string& why) {
  HM_ASSERT(is_stop(request.kind));
  if (!why.empty()) append(request.history, why);
  if (request.phase == Phase::plain_pass) {
    log("the plain stop did not complete (" + request.history + "): running the force pass");
  }
  // A plain step still in flight is abandoned: its completion is only logged, and a
  // later start waits for it (calls_in_flight_).
  ++step_token_;
  request.phase = Phase::force_pass;
  request.next_service = 0;
  continue_force(request);
}

// Force pass steps: the script (next_service 0), then services in reverse order
// (1..n). Best effort: every step runs whatever the previous one reported.
void ApplicationControl::continue_force(Request& request) {
  HM_ASSERT(request.phase == Phase::force_pass);
  const std::size_t count = config_.services.size();
  const auto after = [this](io::Error error, const std::string& text) {
    Request& self = requests_.front();
    append(self.history, text);
    if (error != io::Error::ok && self.force_error == io::Error::ok) self.force_error = error;
    ++self.next_service;
    continue_force(self);
  };
  if (request.next_service == 0) {
    if (!config_.stop_prim.empty()) {
      run_script("stop_prim", true, config_.force_stop_timeout_ms, request.reason, after);
      return;
    }
    ++request.next_service;
  }
  if (request.next_service <= count) {
    call_service(config_.services[count - request.next_service], false, config_.force_stop_timeout_ms, after);
    return;
  }
  const io::Error error = request.force_error;
  finish(error, std::string(error == io::Error::ok ? "application stopped by force: " : "application force stop failed: ") +
                    request.history);
}

void ApplicationControl::finish(io::Error error, const std::string& reason) {
  HM_ASSERT(!requests_.empty() && current() != nullptr);
  HM_ASSERT(!in_public_call_);  // the seam's rule: never complete inside the call
  Request done = std::move(requests_.front());
  requests_.pop_front();
  ++step_token_;  // nothing of this request may continue it
  ApplicationResult result{error, reason, done.phase == Phase::force_pass};
  log(reason);
  for (DoneFn& waiter : done.waiters) waiter(result);
  pump();
}

template <typename Fn>
auto ApplicationControl::guarded(Fn fn) {
  ++calls_in_flight_;
  return [this, alive = std::weak_ptr<char>(lifetime_), token = ++step_token_, fn = std::move(fn)](auto&&... args) {
    if (alive.expired()) return;
    HM_ASSERT(calls_in_flight_ > 0);
    --calls_in_flight_;
    fn(token == step_token_, std::forward<decltype(args)>(args)...);
    pump();
  };
}

void ApplicationControl::run_script(const std::string& action, bool force, std::int64_t timeout_ms,
                                    const std::string& reason, std::function<void(io::Error, const std::string&)> next) {
  const std::string label = force ? action + " force" : action;
  io::ProcessSpec spec;
  spec.program = action == "start_prim" ? config_.start_prim : config_.stop_prim;
  if (force) spec.args.push_back("force");
  spec.env = script_environment(action, action == "stop_prim" ? (force ? "force" : "nice") : "", reason);
  spec.working_dir = config_.working_dir;
  spec.timeout_ms = timeout_ms;
  log("running " + label + " (timeout " + std::to_string(timeout_ms) + " ms): " + reason);
  const std::int64_t started_ns = io_.clock.now_ns();
  io_.processes.run(spec, guarded([this, label, started_ns, next = std::move(next)](
                                      bool current, io::Result<io::ProcessResult> result) {
    if (result.ok()) log_output(label, *result);
    io::Error error = io::Error::ok;
    const std::string text = describe_run(label, result, (io_.clock.now_ns() - started_ns) / io::kNsPerMs, error);
    if (!current) {
      log("late result of an abandoned step: " + text);
      return;
    }
    log(text);
    next(error, text);
  }));
}

void ApplicationControl::call_service(const std::string& name, bool start, std::int64_t timeout_ms,
                                      std::function<void(io::Error, const std::string&)> next) {
  const std::string verb = start ? "start" : "stop";
  log("service " + name + ": " + verb + " (timeout " + std::to_string(timeout_ms) + " ms)");
  auto done = guarded([this, name, start, next = std::move(next)](bool current, io::Error error) {
    const std::string text = "service " + name + (error == io::Error::ok
                                                      ? (start ? " started" : " stopped")
                                                      : (start ? " could not be started: " : " could not be stopped: ") +
                                                            std::string(io::error_name(error)));
    if (!current) {
      log("late result of an abandoned step: " + text);
      return;
    }
    log(text);
    next(error, text);
  });
  if (start) {
    io_.services.start(name, timeout_ms, std::move(done));
  } else {
    io_.services.stop(name, timeout_ms, std::move(done));
  }
}

void ApplicationControl::log(const std::string& line) const { listener_.log(line); }

void ApplicationControl::log_output(const std::string& script, const io::ProcessResult& result) const {
  std::size_t lines = 0;
  std::size_t begin = 0;
  const std::string& out = result.output;
  while (begin < out.size()) {
    std::size_t end = out.find('\n', begin);
    if (end == std::string::npos) end = out.size();
    std::string line = out.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    begin = end + 1;
    if (lines == kMaxApplicationLogLinesPerRun) {
      listener_.application_log(script + ": [further output not copied]");
      return;
    }
    listener_.application_log(script + ": " + line);
    ++lines;
  }
  if (result.output_truncated) listener_.application_log(script + ": [output truncated]");
}

}  // namespace hamirror::core
