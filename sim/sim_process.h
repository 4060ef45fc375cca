// Simulated programs and OS services for one simulated node.
//
// SimProcesses runs no real program: each program name is scripted with a behaviour
// (exit code, how long it runs, what it prints), fixed or computed from the spec. It
// also keeps the node's table of "running processes" that list_by_name() reads; tests
// and the simulated world start and kill entries in it (a database server that
// crashed is an entry that disappears).
//
// SimServices models a service manager: named services that take a while to start
// and stop and may be made to fail.
//
// Fault model: none by default. A behaviour may run past its spec's timeout (the run
// ends with timed_out at the timeout), a service may fail to start or stop, and the
// world may crash a service or kill a process at any instant.
//
// Completions always go through the scheduler, never inside the call, and then
// through the node's NodeGate if it has one (set_gate): a frozen node's are held, the
// run or transition itself goes on. Destroying either class cancels its pending
// completions, held ones too (a crashed node hears nothing more).
// Every run and every service transition is recorded in the trace.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "io/process.h"
#include "sim/node_gate.h"
#include "sim/scheduler.h"

namespace hamirror::sim {

// Bounds the completions waiting on the scheduler per node: a runaway retry loop
// fails loudly.
constexpr std::size_t kMaxPendingSimRuns = 4096;
// Bounds the simulated process table of one node.
constexpr std::size_t kMaxSimProcesses = 4096;
// Bounds the start/stop callers waiting on one simulated service.
constexpr std::size_t kMaxServiceWaiters = 64;
// The first pid handed out; pids then increase and are never reused within a run.
constexpr std::int64_t kFirstSimPid = 1000;

// What a scripted program does when run.
struct ScriptedRun {
  int exit_code = 0;
  std::int64_t duration_ns = 0;  // how long it runs (>= 0)
  std::string output;            // truncated to io::kMaxCapturedOutputBytes when reported
  int term_signal = 0;           // a POSIX signal that ended it (then exit_code is moot)
};

// Computes the behaviour from the spec (its arguments, environment...). Called when
// run() is called, so it may also change the simulated world at that instant.
using ScriptFn = std::function<ScriptedRun(const io::ProcessSpec& spec)>;

struct SimProcessesOptions {
  // Windows' rules for list_by_name: case-insensitive, ".exe" optional in the name.
  bool windows_names = false;
};

class SimProcesses final : public io::Processes {
 public:
  SimProcesses(Scheduler& scheduler, std::string node_name, SimProcessesOptions options = {});
  ~SimProcesses() override;

  // Scripts a program by name; a spec's program matches by its full text or, failing
  // that, by its basename ("/usr/bin/pg_ctl" runs the script of "pg_ctl"). Scripting
  // a name again replaces its behaviour. Unknown programs complete with not_found.
  void script(const std::string& program, ScriptedRun behaviour);
  void script(const std::string& program, ScriptFn behaviour);
  void unscript(const std::string& program);

  // The process table. start_process returns the new pid; kill_process is false when
  // no such pid runs; kill_by_name returns how many were killed.
  std::int64_t start_process(const std::string& name);
  bool kill_process(std::int64_t pid);
  std::size_t kill_by_name(const std::string& name);
  bool running(std::int64_t pid) const { return table_.contains(pid); }

  // How many times run() was called for a program (its spec text), scripted or not.
  std::uint64_t run_count(const std::string& program) const;

  void run(const io::ProcessSpec& spec, RunFn done) override;
  void list_by_name(const std::string& name, ListFn done) override;

  // Completions go through `gate` (null: none). Set before the first call.
  void set_gate(NodeGate* gate) { gated_.set_gate(gate); }

 private:
  const ScriptFn* find_script(const std::string& program) const;
  bool names_match(const std::string& wanted, const std::string& actual) const;
  void complete_after(std::int64_t delay_ns, std::function<void()> fn);

  Scheduler& scheduler_;
  std::string who_;
  SimProcessesOptions options_;
  std::map<std::string, ScriptFn> scripts_;
  std::map<std::int64_t, std::string> table_;  // pid -> name, ordered by pid
  std::map<std::string, std::uint64_t> run_counts_;
  std::int64_t next_pid_ = kFirstSimPid;
  std::set<Scheduler::EventId> pending_;
  GatedCallbacks gated_;
};

struct SimServiceConfig {
  std::int64_t start_duration_ns = 0;
  std::int64_t stop_duration_ns = 0;
  io::Error start_error = io::Error::ok;  // a start ends stopped with this error
  io::Error stop_error = io::Error::ok;   // a stop ends still running with this error
  io::ServiceState initial = io::ServiceState::stopped;
};

class SimServices final : public io::Services {
 public:
  SimServices(Scheduler& scheduler, std::string node_name);
  ~SimServices() override;

  // Declares a service (or replaces its configuration; the current state stays).
  void add_service(const std::string& name, SimServiceConfig config);
  void set_start_error(const std::string& name, io::Error error);
  void set_stop_error(const std::string& name, io::Error error);
  // The world's view; the service must exist.
  io::ServiceState state(const std::string& name) const;
  // The service dies at once (stopped): a transition in progress is abandoned, callers
  // waiting for "running" get Error::unknown, callers waiting for "stopped" get ok.
  void crash(const std::string& name);

  // start while stopping, or stop while starting, is refused with busy (as the SCM
  // refuses a control it cannot accept now). A call for the transition already under
  // way waits for it. A call that outlives timeout_ms gets timed_out; the transition
  // itself goes on, as a real service's does.
  void start(const std::string& name, std::int64_t timeout_ms, DoneFn done) override;
  void stop(const std::string& name, std::int64_t timeout_ms, DoneFn done) override;
  void query(const std::string& name, QueryFn done) override;

  // Completions go through `gate` (null: none). Set before the first call.
  void set_gate(NodeGate* gate) { gated_.set_gate(gate); }

 private:
  struct Waiter {
    std::uint64_t id = 0;
    io::ServiceState target = io::ServiceState::running;
    DoneFn done;
    Scheduler::EventId timeout_event = 0;
  };
  struct Service {
    SimServiceConfig config;
    io::ServiceState state = io::ServiceState::stopped;
    Scheduler::EventId transition_event = 0;
    std::map<std::uint64_t, Waiter> waiters;  // by id: completion order is call order
  };

  void request(const std::string& name, io::ServiceState target, std::int64_t timeout_ms, DoneFn done);
  void begin(const std::string& name, Service& service, io::ServiceState target);
  void finish(const std::string& name, io::ServiceState target);
  void set_state(const std::string& name, Service& service, io::ServiceState state);
  void notify(Service& service, io::ServiceState target, io::Error result);
  void complete_soon(std::function<void()> fn);
  void record(const std::string& name, const std::string& what);

  Scheduler& scheduler_;
  std::string who_;
  std::map<std::string, Service> services_;
  std::uint64_t next_waiter_ = 1;
  std::set<Scheduler::EventId> pending_;
  GatedCallbacks gated_;
};

}  // namespace hamirror::sim
