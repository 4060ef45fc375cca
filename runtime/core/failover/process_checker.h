// errd, the process checker: SafeKit's <errd polltimer="10"> with
// <proc name=… atleast="1" action="restart|stopstart|stop" class="prim"/>.
//
// While active, every poll interval it asks io::Processes::list_by_name for each
// watched name; when fewer than `atleast` instances run, it tells the node which
// action to take:
//   restart    stop_prim + start_prim on this node (PrimaryRole::restart_application)
//   stopstart  fail over: this node leaves the primary role, the peer takes it
//   stop       stop the module on this node ("stop here")
// restart and stopstart are limited to `max_loop` within any `loop_interval`
// (SafeKit's maxloop / loop_interval on <service>), counted on the monotonic clock
// in a sliding window: one more shortfall past the limit becomes `stop` with the
// reason logged, so a crash loop ends instead of restarting forever. Actions older
// than loop_interval no longer count.
//
// class="prim" is the only class: the node activates the checker once the
// application started on the primary (start()) and deactivates it when leaving the
// role (stop()). After reporting an action the checker pauses itself — the process is
// expected to be missing while the node acts — and the node calls start() again once
// the application runs again.
//
// When several watched names fall short in the same poll, one action is reported:
// the strongest (stop > stopstart > restart), with every shortfall in the reason. A
// name whose listing failed is logged and not counted as missing: a failed query is
// not evidence that the process died.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/io.h"

namespace hamirror::core {

// Bounds the watched process names (one list_by_name each per poll).
constexpr std::size_t kMaxMonitoredProcesses = 32;
// Bounds maxloop, and so the action times the loop window keeps.
constexpr std::uint32_t kMaxLoopLimit = 1000;

// Ordered by strength: the strongest wins when several names fall short at once.
enum class ProcessAction : std::uint8_t { restart, stopstart, stop };
std::string_view process_action_name(ProcessAction action);

// SafeKit's class="prim": watched on the primary once the application started. The
// only class so far; kept explicit so the configuration maps one to one.
enum class ProcessClass : std::uint8_t { prim };

struct MonitoredProcess {
  std::string name;  // as io::Processes::list_by_name matches it ("app", "app.exe")
  std::uint32_t at_least = 1;
  ProcessAction action = ProcessAction::restart;
  ProcessClass process_class = ProcessClass::prim;
};

struct ProcessCheckerConfig {
  std::vector<MonitoredProcess> processes;
  std::int64_t poll_interval_ms = 10'000;             // <errd polltimer="10"> (s there)
  std::uint32_t max_loop = 3;                          // <service maxloop="3">
  std::int64_t loop_interval_ms = 24LL * 3'600'000;  // <service loop_interval="24"> (h there)
};

// At most max_loop events within any loop_interval, on the monotonic clock. An event
// at t counts while now - t < loop_interval.
class LoopBudget {
 public:
  LoopBudget(std::uint32_t max_loop, std::int64_t loop_interval_ns);

  std::size_t used(std::int64_t now_ns);  // forgets events that left the window
  bool exhausted(std::int64_t now_ns) { return used(now_ns) >= max_loop_; }
  void record(std::int64_t now_ns);
  void reset() { times_ns_.clear(); }
  std::uint32_t max_loop() const { return max_loop_; }

 private:
  std::uint32_t max_loop_;
  std::int64_t loop_interval_ns_;
  std::deque<std::int64_t> times_ns_;  // ascending; at most max_loop_ entries
};

class ProcessChecker {
 public:
  struct Listener {
    std::function<void(const std::string& line)> log;  // module log
    // A watched process fell short: the node performs `action`. The checker is paused.
    std::function<void(ProcessAction action, const std::string& reason)> on_action;
  };

  // The listener must not destroy this object from inside a callback.
  ProcessChecker(io::Io& io, ProcessCheckerConfig config, Listener listener);
  ~ProcessChecker();
  ProcessChecker(const ProcessChecker&) = delete;
  ProcessChecker& operator=(const ProcessChecker&) = delete;

  // The first poll comes one poll interval after start(): start_prim has returned,
  // and the application gets that long to have its processes up.
  void start(const std::string& reason);
  void stop(const std::string& reason);
  bool active() const { return active_; }

  // Restarts and failovers counted in the window now.
  std::size_t actions_in_window() { return budget_.used(io_.clock.now_ns()); }
  // An admin start forgives past crash loops.
  void reset_loop_budget(const std::string& reason);

 private:
  void poll();
  void on_listing(std::size_t index, const io::Result<std::vector<io::ProcessInfo>>& listing);
  void evaluate();
  void act(ProcessAction wanted, const std::string& shortfall);
  void log(const std::string& line) const { listener_.log("errd: " + line); }

  io::Io& io_;
  ProcessCheckerConfig config_;
  Listener listener_;
  LoopBudget budget_;
  std::unique_ptr<io::Timer> timer_;
  bool active_ = false;
  // Bumped by start() and stop(): listings answered for an earlier activation are
  // dropped.
  std::uint64_t activation_ = 0;
  bool round_in_flight_ = false;
  std::size_t round_pending_ = 0;
  std::vector<std::optional<std::size_t>> round_counts_;  // per process; empty: listing failed
  std::uint64_t polls_skipped_ = 0;
  std::shared_ptr<char> lifetime_ = std::make_shared<char>(0);
};

}  // namespace hamirror::core
