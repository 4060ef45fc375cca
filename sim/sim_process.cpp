#include "sim/sim_process.h"

#include <memory>
#include <utility>
#include <vector>

#include "io/assert.h"
#include "io/clock.h"

namespace hamirror::sim {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ignoring_case(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string basename_of(const std::string& program) {
  const std::size_t cut = program.find_last_of("/\\");
  return cut == std::string::npos ? program : program.substr(cut + 1);
}

std::string describe(const io::ProcessSpec& spec) {
  std::string text = spec.program;
  for (const std::string& arg : spec.args) text += " " + arg;
  return text;
}

const char* state_name(io::ServiceState state) {
  switch (state) {
    case io::ServiceState::stopped: return "stopped";
    case io::ServiceState::starting: return "starting";
    case io::ServiceState::running: return "running";
    case io::ServiceState::stopping: return "stopping";
    case io::ServiceState::unknown: return "unknown";
  }
  return "unknown";
}

// Schedules fn and keeps its id in `pending` until it ran, so that the owner's
// destructor can cancel whatever is still due.
Scheduler::EventId schedule(Scheduler& scheduler, std::set<Scheduler::EventId>& pending, std::int64_t delay_ns,
                            std::function<void()> fn) {
  HM_ASSERT(delay_ns >= 0);
  HM_ASSERT(pending.size() < kMaxPendingSimRuns);
  auto id = std::make_shared<Scheduler::EventId>(0);
  *id = scheduler.after(delay_ns, [&pending, id, fn = std::move(fn)] {
    pending.erase(*id);
    fn();
  });
  pending.insert(*id);
  return *id;
}

void cancel_all(Scheduler& scheduler, std::set<Scheduler::EventId>& pending) {
  for (const Scheduler::EventId id : pending) scheduler.cancel(id);
  pending.clear();
}

}  // namespace

// ---- SimProcesses ----

SimProcesses::SimProcesses(Scheduler& scheduler, std::string node_name, SimProcessesOptions options)
    : scheduler_(scheduler), who_(std::move(node_name) + "/processes"), options_(options) {}

SimProcesses::~SimProcesses() { cancel_all(scheduler_, pending_); }

void SimProcesses::script(const std::string& program, ScriptedRun behaviour) {
  HM_ASSERT(behaviour.duration_ns >= 0);
  script(program, [behaviour](const io::ProcessSpec&) { return behaviour; });
}

void SimProcesses::script(const std::string& program, ScriptFn behaviour) {
  HM_ASSERT(!program.empty());
  HM_ASSERT(behaviour);
  scripts_[program] = std::move(behaviour);
}

void SimProcesses::unscript(const std::string& program) { scripts_.erase(program); }

std::int64_t SimProcesses::start_process(const std::string& name) {
  HM_ASSERT(!name.empty());
  HM_ASSERT(table_.size() < kMaxSimProcesses);
  const std::int64_t pid = next_pid_++;
  table_.emplace(pid, name);
  scheduler_.trace().record(scheduler_.now_ns(), who_, "process " + std::to_string(pid) + " " + name + " started");
  return pid;
}

bool SimProcesses::kill_process(std::int64_t pid) {
  const auto found = table_.find(pid);
  if (found == table_.end()) return false;
  scheduler_.trace().record(scheduler_.now_ns(), who_,
                            "process " + std::to_string(pid) + " " + found->second + " killed");
  table_.erase(found);
  return true;
}

std::size_t SimProcesses::kill_by_name(const std::string& name) {
  std::vector<std::int64_t> victims;
  for (const auto& [pid, actual] : table_) {
    if (names_match(name, actual)) victims.push_back(pid);
  }
  for (const std::int64_t pid : victims) kill_process(pid);
  return victims.size();
}

std::uint64_t SimProcesses::run_count(const std::string& program) const {
  const auto found = run_counts_.find(program);
  return found == run_counts_.end() ? 0 : found->second;
}

const ScriptFn* SimProcesses::find_script(const std::string& program) const {
  auto found = scripts_.find(program);
  if (found == scripts_.end()) found = scripts_.find(basename_of(program));
  return found == scripts_.end() ? nullptr : &found->second;
}

bool SimProcesses::names_match(const std::string& wanted, const std::string& actual) const {
  if (!options_.windows_names) return wanted == actual;
  return equal_ignoring_case(wanted, actual) || equal_ignoring_case(wanted + ".exe", actual);
}

void SimProcesses::complete_after(std::int64_t delay_ns, std::function<void()> fn) {
  schedule(scheduler_, pending_, delay_ns, std::move(fn));
}

void SimProcesses::run(const io::ProcessSpec& spec, RunFn done) {
  HM_ASSERT(done);
  HM_ASSERT(spec.timeout_ms > 0);
  ++run_counts_[spec.program];
  const ScriptFn* found = find_script(spec.program);
  if (found == nullptr) {
    scheduler_.trace().record(scheduler_.now_ns(), who_, "run " + describe(spec) + ": not_found");
    complete_after(0, [this, done = std::move(done)] { gated_.run([done] { done(io::Error::not_found); }); });
    return;
  }
  // A copy: the script may re-script its own name while it runs.
  const ScriptFn script = *found;
  const ScriptedRun behaviour = script(spec);
  HM_ASSERT(behaviour.duration_ns >= 0);
  scheduler_.trace().record(scheduler_.now_ns(), who_, "run " + describe(spec));

  io::ProcessResult result;
  result.output = behaviour.output;
  if (result.output.size() > io::kMaxCapturedOutputBytes) {
    result.output.resize(io::kMaxCapturedOutputBytes);
    result.output_truncated = true;
  }
  const std::int64_t timeout_ns = spec.timeout_ms * io::kNsPerMs;
  std::int64_t delay_ns = behaviour.duration_ns;
  if (behaviour.duration_ns > timeout_ns) {
    // Killed at the timeout; the output is reported as scripted.
    result.timed_out = true;
    result.exit_code = -1;
    delay_ns = timeout_ns;
  } else {
    result.exit_code = behaviour.exit_code;
    result.term_signal = behaviour.term_signal;
  }
  complete_after(delay_ns, [this, result = std::move(result), program = spec.program, done = std::move(done)] {
    const std::string what = result.timed_out ? "timed out" : "exit " + std::to_string(result.exit_code);
    scheduler_.trace().record(scheduler_.now_ns(), who_, program + " " + what, io::as_bytes(result.output));
    gated_.run([done, result] { done(result); });
  });
}

void SimProcesses::list_by_name(const std::string& name, ListFn done) {
  HM_ASSERT(done);
  std::vector<io::ProcessInfo> found;
  for (const auto& [pid, actual] : table_) {  // ordered by pid
    if (names_match(name, actual)) found.push_back(io::ProcessInfo{pid, actual});
  }
  complete_after(0, [this, found = std::move(found), done = std::move(done)] { gated_.run([done, found] { done(found); }); });
}

// ---- SimServices ----

SimServices::SimServices(Scheduler& scheduler, std::string node_name)
    : scheduler_(scheduler), who_(std::move(node_name) + "/services") {}

SimServices::~SimServices() { cancel_all(scheduler_, pending_); }

void SimServices::add_service(const std::string& name, SimServiceConfig config) {
  HM_ASSERT(!name.empty());
  HM_ASSERT(config.start_duration_ns >= 0 && config.stop_duration_ns >= 0);
  HM_ASSERT(config.initial == io::ServiceState::stopped || config.initial == io::ServiceState::running);
  const auto [entry, added] = services_.try_emplace(name);
  entry->second.config = config;
  if (added) {
    entry->second.state = config.initial;
    record(name, std::string("declared ") + state_name(config.initial));
  }
}

void SimServices::set_start_error(const std::string& name, io::Error error) {
  HM_ASSERT(services_.contains(name));
  services_.at(name).config.start_error = error;
}

void SimServices::set_stop_error(const std::string& name, io::Error error) {
  HM_ASSERT(services_.contains(name));
  services_.at(name).config.stop_error = error;
}

io::ServiceState SimServices::state(const std::string& name) const {
  HM_ASSERT(services_.contains(name));
  return services_.at(name).state;
}

void SimServices::crash(const std::string& name) {
  HM_ASSERT(services_.contains(name));
  Service& service = services_.at(name);
  if (service.transition_event != 0) {
    scheduler_.cancel(service.transition_event);
    pending_.erase(service.transition_event);
    service.transition_event = 0;
  }
  record(name, "crashed");
  set_state(name, service, io::ServiceState::stopped);
  notify(service, io::ServiceState::running, io::Error::unknown);
  notify(service, io::ServiceState::stopped, io::Error::ok);
}

void SimServices::start(const std::string& name, std::int64_t timeout_ms, DoneFn done) {
  request(name, io::ServiceState::running, timeout_ms, std::move(done));
}

void SimServices::stop(const std::string& name, std::int64_t timeout_ms, DoneFn done) {
  request(name, io::ServiceState::stopped, timeout_ms, std::move(done));
}

void SimServices::query(const std::string& name, QueryFn done) {
  HM_ASSERT(done);
  const auto found = services_.find(name);
  if (found == services_.end()) {
    complete_soon([done = std::move(done)] { done(io::Error::not_found); });
    return;
  }
  complete_soon([state = found->second.state, done = std::move(done)] { done(state); });
}

void SimServices::request(const std::string& name, io::ServiceState target, std::int64_t timeout_ms, DoneFn done) {
  HM_ASSERT(done);
  HM_ASSERT(timeout_ms >= 0);
  HM_ASSERT(target == io::ServiceState::running || target == io::ServiceState::stopped);
  const auto found = services_.find(name);
  if (found == services_.end()) {
    record(name, target == io::ServiceState::running ? "start: not_found" : "stop: not_found");
    complete_soon([done = std::move(done)] { done(io::Error::not_found); });
    return;
  }
  Service& service = found->second;
  const io::ServiceState toward =
      target == io::ServiceState::running ? io::ServiceState::starting : io::ServiceState::stopping;
  if (service.state == target) {
    complete_soon([done = std::move(done)] { done(io::Error::ok); });
    return;
  }
  if (service.transition_event != 0 && service.state != toward) {
    complete_soon([done = std::move(done)] { done(io::Error::busy); });
    return;
  }
  HM_ASSERT(service.waiters.size() < kMaxServiceWaiters);
  const std::uint64_t id = next_waiter_++;
  Waiter& waiter = service.waiters[id];
  waiter.id = id;
  waiter.target = target;
  waiter.done = std::move(done);
  waiter.timeout_event = schedule(scheduler_, pending_, timeout_ms * io::kNsPerMs, [this, name, id] {
    Service& owner = services_.at(name);
    const auto waiting = owner.waiters.find(id);
    HM_ASSERT(waiting != owner.waiters.end());
    DoneFn late = std::move(waiting->second.done);
    owner.waiters.erase(waiting);
    gated_.run([late] { late(io::Error::timed_out); });
  });
  if (service.transition_event == 0) begin(name, service, target);
}

void SimServices::begin(const std::string& name, Service& service, io::ServiceState target) {
  const bool starting = target == io::ServiceState::running;
  set_state(name, service, starting ? io::ServiceState::starting : io::ServiceState::stopping);
  const std::int64_t duration_ns = starting ? service.config.start_duration_ns : service.config.stop_duration_ns;
  service.transition_event =
      schedule(scheduler_, pending_, duration_ns, [this, name, target] { finish(name, target); });
}

void SimServices::finish(const std::string& name, io::ServiceState target) {
  Service& service = services_.at(name);
  service.transition_event = 0;
  const bool starting = target == io::ServiceState::running;
  const io::Error error = starting ? service.config.start_error : service.config.stop_error;
  if (error != io::Error::ok) {
    record(name, std::string(starting ? "start" : "stop") + " failed: " + std::string(io::error_name(error)));
    set_state(name, service, starting ? io::ServiceState::stopped : io::ServiceState::running);
  } else {
    set_state(name, service, target);
  }
  notify(service, target, error);
}

void SimServices::set_state(const std::string& name, Service& service, io::ServiceState state) {
  service.state = state;
  record(name, state_name(state));
}

void SimServices::notify(Service& service, io::ServiceState target, io::Error result) {
  // Through the scheduler: crash() is called by the world, maybe from inside a node's
  // own code, and no callback may run inside a call.
  for (auto it = service.waiters.begin(); it != service.waiters.end();) {
    if (it->second.target != target) {
      ++it;
      continue;
    }
    scheduler_.cancel(it->second.timeout_event);
    pending_.erase(it->second.timeout_event);
    complete_soon([done = std::move(it->second.done), result] { done(result); });
    it = service.waiters.erase(it);
  }
}

void SimServices::complete_soon(std::function<void()> fn) {
  schedule(scheduler_, pending_, 0, [this, fn = std::move(fn)] { gated_.run(fn); });
}

void SimServices::record(const std::string& name, const std::string& what) {
  scheduler_.trace().record(scheduler_.now_ns(), who_, name + " " + what);
}

}  // namespace hamirror::sim
