#include "core/failover/process_checker.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::core {

std::string_view process_action_name(ProcessAction action) {
  switch (action) {
    case ProcessAction::restart: return "restart";
    case ProcessAction::stopstart: return "stopstart";
    case ProcessAction::stop: return "stop";
  }
  return "?";
}

// ---- LoopBudget ----

LoopBudget::LoopBudget(std::uint32_t max_loop, std::int64_t loop_interval_ns)
    : max_loop_(max_loop), loop_interval_ns_(loop_interval_ns) {
  HM_ASSERT(max_loop_ <= kMaxLoopLimit);
  HM_ASSERT(loop_interval_ns_ > 0);
}

std::size_t LoopBudget::used(std::int64_t now_ns) {
  HM_ASSERT(times_ns_.empty() || times_ns_.back() <= now_ns);  // the clock is monotonic
  while (!times_ns_.empty() && now_ns - times_ns_.front() >= loop_interval_ns_) times_ns_.pop_front();
  return times_ns_.size();
}

void LoopBudget::record(std::int64_t now_ns) {
  HM_ASSERT(!exhausted(now_ns));  // callers check first: the window never exceeds max_loop
  times_ns_.push_back(now_ns);
}

// ---- ProcessChecker ----

ProcessChecker::ProcessChecker(io::Io& io, ProcessCheckerConfig config, Listener listener)
    : io_(io),
      config_(std::move(config)),
      listener_(std::move(listener)),
      budget_(config_.max_loop, config_.loop_interval_ms * io::kNsPerMs),
      timer_(io.clock.make_timer()) {
  HM_ASSERT(listener_.log && listener_.on_action);
  HM_ASSERT(!config_.processes.empty() && config_.processes.size() <= kMaxMonitoredProcesses);
  HM_ASSERT(config_.poll_interval_ms > 0);
  for (const MonitoredProcess& process : config_.processes) {
    HM_ASSERT(!process.name.empty());
    HM_ASSERT(process.at_least >= 1);
  }
}

ProcessChecker::~ProcessChecker() = default;

void ProcessChecker::start(const std::string& reason) {
  if (active_) {
    log("already watching (" + reason + ")");
    return;
  }
  active_ = true;
  ++activation_;
  round_in_flight_ = false;
  timer_->start(config_.poll_interval_ms * io::kNsPerMs, config_.poll_interval_ms * io::kNsPerMs, [this] { poll(); });
  log("watching " + std::to_string(config_.processes.size()) + " process name(s) every " +
      std::to_string(config_.poll_interval_ms) + " ms: " + reason);
}

void ProcessChecker::stop(const std::string& reason) {
  if (!active_) return;
  active_ = false;
  ++activation_;
  round_in_flight_ = false;
  timer_->stop();
  log("not watching: " + reason);
}

void ProcessChecker::reset_loop_budget(const std::string& reason) {
  budget_.reset();
  log("restart/failover count reset: " + reason);
}

void ProcessChecker::poll() {
  HM_ASSERT(active_);
  if (round_in_flight_) {
    // The previous listings have not all answered: one round at a time keeps the
    // calls in flight bounded by the number of watched names.
    ++polls_skipped_;
    log("poll skipped: the previous one is still waiting for the process list (" + std::to_string(polls_skipped_) +
        " skipped so far)");
    return;
  }
  round_in_flight_ = true;
  round_pending_ = config_.processes.size();
  round_counts_.assign(config_.processes.size(), std::nullopt);
  for (std::size_t i = 0; i < config_.processes.size(); ++i) {
    io_.processes.list_by_name(config_.processes[i].name,
                               [this, alive = std::weak_ptr<char>(lifetime_), activation = activation_,
                                i](io::Result<std::vector<io::ProcessInfo>> listing) {
                                 if (alive.expired() || activation != activation_) return;
                                 on_listing(i, listing);
                               });
  }
}

void ProcessChecker::on_listing(std::size_t index, const io::Result<std::vector<io::ProcessInfo>>& listing) {
  HM_ASSERT(round_in_flight_ && round_pending_ > 0 && index < round_counts_.size());
  if (listing.ok()) {
    round_counts_[index] = listing->size();
  } else {
    log("could not list the processes named '" + config_.processes[index].name +
        "': " + std::string(io::error_name(listing.error())) + "; not counted as missing");
  }
  if (--round_pending_ > 0) return;
  round_in_flight_ = false;
  evaluate();
}

void ProcessChecker::evaluate() {
  std::string shortfall;
  bool short_any = false;
  ProcessAction strongest = ProcessAction::restart;
  for (std::size_t i = 0; i < config_.processes.size(); ++i) {
    const MonitoredProcess& process = config_.processes[i];
    if (!round_counts_[i] || *round_counts_[i] >= process.at_least) continue;
    if (!shortfall.empty()) shortfall += "; ";
    shortfall += "process '" + process.name + "': " + std::to_string(*round_counts_[i]) + " running, at least " +
                 std::to_string(process.at_least) + " expected (action " +
                 std::string(process_action_name(process.action)) + ")";
    // The enum is ordered by strength: restart < stopstart < stop.
    if (!short_any || process.action > strongest) strongest = process.action;
    short_any = true;
  }
  if (short_any) act(strongest, shortfall);
}

void ProcessChecker::act(ProcessAction wanted, const std::string& shortfall) {
  const std::int64_t now_ns = io_.clock.now_ns();
  ProcessAction action = wanted;
  std::string reason = shortfall;
  if (wanted != ProcessAction::stop) {
    if (budget_.exhausted(now_ns)) {
      action = ProcessAction::stop;
      reason += "; maxloop reached: " + std::to_string(budget_.used(now_ns)) +
                " restart(s)/failover(s) already within the last " + std::to_string(config_.loop_interval_ms) +
                " ms (maxloop " + std::to_string(config_.max_loop) + "): stopping here instead of " +
                std::string(process_action_name(wanted));
    } else {
      budget_.record(now_ns);
      reason += "; " + std::string(process_action_name(wanted)) + " " + std::to_string(budget_.used(now_ns)) +
                " of at most " + std::to_string(config_.max_loop) + " within " +
                std::to_string(config_.loop_interval_ms) + " ms";
    }
  }
  log(reason + " -> " + std::string(process_action_name(action)));
  // Paused before the node hears of it: the process stays missing while the node acts.
  stop("paused until the application is started again");
  listener_.on_action(action, reason);
}

}  // namespace hamirror::core
