#include "core/failover/primary_role.h"

#include <utility>

#include "io/assert.h"

namespace hamirror::core {

std::string_view primary_state_name(PrimaryRole::State state) {
  switch (state) {
    case PrimaryRole::State::secondary: return "secondary";
    case PrimaryRole::State::becoming_primary: return "becoming_primary";
    case PrimaryRole::State::primary: return "primary";
    case PrimaryRole::State::restarting: return "restarting";
    case PrimaryRole::State::leaving: return "leaving";
    case PrimaryRole::State::fencing: return "fencing";
    case PrimaryRole::State::incomplete: return "incomplete";
  }
  return "?";
}

std::string_view role_sequence_name(PrimaryRole::Sequence sequence) {
  switch (sequence) {
    case PrimaryRole::Sequence::become_primary: return "become_primary";
    case PrimaryRole::Sequence::leave_gracefully: return "leave_gracefully";
    case PrimaryRole::Sequence::fence: return "fence";
    case PrimaryRole::Sequence::restart_application: return "restart_application";
  }
  return "?";
}

std::string_view role_step_name(PrimaryRole::Step step) {
  switch (step) {
    case PrimaryRole::Step::none: return "none";
    case PrimaryRole::Step::make_writable: return "make_writable";
    case PrimaryRole::Step::vip_add: return "vip_add";
    case PrimaryRole::Step::start_application: return "start_application";
    case PrimaryRole::Step::stop_application: return "stop_application";
    case PrimaryRole::Step::vip_remove: return "vip_remove";
    case PrimaryRole::Step::make_read_only: return "make_read_only";
    case PrimaryRole::Step::refuse_writes: return "refuse_writes";
  }
  return "?";
}

struct PrimaryRole::Run {
  std::uint64_t id = 0;
  Sequence sequence = Sequence::become_primary;
  std::string reason;
  std::vector<Step> steps;
  std::size_t next = 0;
  std::vector<DoneFn> waiters;
  io::Error first_error = io::Error::ok;
  Step failed_step = Step::none;
  std::string history;
  State success_state = State::secondary;
};

namespace {

// Marks the span of a public call, so that finish() can assert it is not inside one.
class PublicCall {
 public:
  explicit PublicCall(bool& flag) : flag_(flag) {
    HM_ASSERT(!flag_);  // no re-entry from a hook called inside the call
    flag_ = true;
  }
  ~PublicCall() { flag_ = false; }
  PublicCall(const PublicCall&) = delete;
  PublicCall& operator=(const PublicCall&) = delete;

 private:
  bool& flag_;
};

bool stops_at_first_failure(PrimaryRole::Sequence sequence) {
  return sequence == PrimaryRole::Sequence::become_primary || sequence == PrimaryRole::Sequence::restart_application;
}

}  // namespace

PrimaryRole::PrimaryRole(io::Io& io, PrimaryRoleConfig config, ApplicationControl& application, Hooks hooks,
                         LogFn log)
    : io_(io),
      config_(std::move(config)),
      application_(application),
      hooks_(std::move(hooks)),
      log_(std::move(log)),
      deferred_(io.clock) {
  HM_ASSERT(hooks_.make_writable && hooks_.make_read_only && hooks_.refuse_writes);
  HM_ASSERT(log_);
}

PrimaryRole::~PrimaryRole() = default;

template <typename Fn>
auto PrimaryRole::alive(Fn fn) {
  return [weak = std::weak_ptr<char>(lifetime_), fn = std::move(fn)](auto&&... args) {
    if (weak.expired()) return;
    fn(std::forward<decltype(args)>(args)...);
  };
}

void PrimaryRole::become_primary(const std::string& reason, DoneFn done) {
  HM_ASSERT(done);
  const PublicCall call(in_public_call_);
  // The node leaves (or fences) before taking the role again: starting from a known,
  // fully released state is what makes the step order meaningful.
  HM_ASSERT(state_ == State::secondary && current_ == nullptr);
  HM_ASSERT(!vip_add_in_flight_);
  begin(Sequence::become_primary, reason, std::move(done));
}

void PrimaryRole::restart_application(const std::string& reason, DoneFn done) {
  HM_ASSERT(done);
  const PublicCall call(in_public_call_);
  HM_ASSERT(state_ == State::primary && current_ == nullptr);
  begin(Sequence::restart_application, reason, std::move(done));
}

void PrimaryRole::leave_gracefully(const std::string& reason, DoneFn done) {
  HM_ASSERT(done);
  const PublicCall call(in_public_call_);
  if (current_ != nullptr &&
      (current_->sequence == Sequence::leave_gracefully || current_->sequence == Sequence::fence)) {
    HM_ASSERT(current_->waiters.size() < kMaxRoleSequenceWaiters);
    current_->waiters.push_back(std::move(done));
    log_("leave_gracefully requested (" + reason + "): joins the " +
         std::string(role_sequence_name(current_->sequence)) + " under way");
    return;
  }
  supersede("superseded by leave_gracefully: " + reason);
  begin(Sequence::leave_gracefully, reason, std::move(done));
}

void PrimaryRole::fence(const std::string& reason, DoneFn done) {
  HM_ASSERT(done);
  const PublicCall call(in_public_call_);
  if (current_ != nullptr && current_->sequence == Sequence::fence) {
    HM_ASSERT(current_->waiters.size() < kMaxRoleSequenceWaiters);
    current_->waiters.push_back(std::move(done));
    // Cheap and idempotent, and the caller was promised "refused before return".
    hooks_.refuse_writes();
    log_("fence requested (" + reason + "): joins the fence under way; writes refused again");
    return;
  }
  supersede("superseded by fence: " + reason);
  begin(Sequence::fence, reason, std::move(done));
}

void PrimaryRole::supersede(const std::string& why) {
  if (current_ == nullptr) return;
  const std::unique_ptr<Run> old = std::move(current_);
  log_(std::string(role_sequence_name(old->sequence)) + " cancelled: " + why);
  Outcome outcome{old->sequence, io::Error::cancelled, Step::none,
                  (old->history.empty() ? std::string() : old->history + "; ") + "cancelled: " + why};
  for (DoneFn& done : old->waiters) {
    deferred_.post(alive([done = std::move(done), outcome] { done(outcome); }));
  }
}

void PrimaryRole::begin(Sequence sequence, const std::string& reason, DoneFn done) {
  HM_ASSERT(current_ == nullptr);
  auto run = std::make_unique<Run>();
  run->id = next_run_id_++;
  run->sequence = sequence;
  run->reason = reason;
  run->waiters.push_back(std::move(done));
  State during = State::secondary;
  switch (sequence) {
    case Sequence::become_primary:
      run->steps = {Step::make_writable, Step::vip_add, Step::start_application};
      run->success_state = State::primary;
      during = State::becoming_primary;
      break;
    case Sequence::leave_gracefully:
      run->steps = {Step::stop_application, Step::vip_remove, Step::make_read_only};
      run->success_state = State::secondary;
      during = State::leaving;
      break;
    case Sequence::fence:
      run->steps = {Step::refuse_writes, Step::vip_remove, Step::stop_application};
      run->success_state = State::secondary;
      during = State::fencing;
      break;
    case Sequence::restart_application:
      run->steps = {Step::stop_application, Step::start_application};
      run->success_state = State::primary;
      during = State::restarting;
      break;
  }
  const std::uint64_t id = run->id;
  current_ = std::move(run);
  set_state(during, std::string(role_sequence_name(sequence)) + ": " + reason);
  next_step(id);
}

bool PrimaryRole::is_current(std::uint64_t run_id) const { return current_ != nullptr && current_->id == run_id; }

void PrimaryRole::next_step(std::uint64_t run_id) {
  HM_ASSERT(is_current(run_id));
  if (current_->next == current_->steps.size()) {
    finish();
    return;
  }
  const Step step = current_->steps[current_->next++];
  perform(step, run_id);
}

void PrimaryRole::perform(Step step, std::uint64_t run_id) {
  const Run& run = *current_;
  switch (step) {
    case Step::make_writable: do_make_writable(run_id); return;
    case Step::make_read_only: do_make_read_only(run_id); return;
    case Step::vip_add: do_vip_add(run_id); return;
    case Step::vip_remove: do_vip_remove(run_id, false); return;
    case Step::refuse_writes:
      hooks_.refuse_writes();
      step_done(run_id, step, io::Error::ok, "writes to the replicated directories refused");
      return;
    case Step::start_application:
      application_.start(run.reason, alive([this, run_id](const ApplicationResult& result) {
        step_done(run_id, Step::start_application, result.error, result.reason);
      }));
      return;
    case Step::stop_application: {
      const auto mode = run.sequence == Sequence::fence ? ApplicationControl::StopMode::force
                                                        : ApplicationControl::StopMode::graceful;
      application_.stop(mode, run.reason, alive([this, run_id](const ApplicationResult& result) {
        step_done(run_id, Step::stop_application, result.error, result.reason);
      }));
      return;
    }
    case Step::none: break;
  }
  HM_ASSERT(false && "no such step");
}

void PrimaryRole::step_done(std::uint64_t run_id, Step step, io::Error error, const std::string& text) {
  if (!is_current(run_id)) {
    // A superseded sequence's step settled at the seam; the sequence that superseded
    // it accounts for whatever it left (see the header).
    log_("late result of a cancelled sequence's " + std::string(role_step_name(step)) + ": " + text);
    return;
  }
  Run& run = *current_;
  log_(std::string(role_sequence_name(run.sequence)) + ": " + std::string(role_step_name(step)) + ": " + text);
  if (!run.history.empty()) run.history += "; ";
  run.history += std::string(role_step_name(step)) + ": " + text;
  if (error != io::Error::ok && run.first_error == io::Error::ok) {
    run.first_error = error;
    run.failed_step = step;
  }
  if (error != io::Error::ok && stops_at_first_failure(run.sequence)) {
    run.history += "; the remaining steps are not run";
    finish();
    return;
  }
  next_step(run_id);
}

void PrimaryRole::finish() {
  HM_ASSERT(current_ != nullptr);
  HM_ASSERT(!in_public_call_);  // every sequence has an asynchronous step before its end
  const std::unique_ptr<Run> run = std::move(current_);
  const bool ok = run->first_error == io::Error::ok;
  Outcome outcome{run->sequence, run->first_error, run->failed_step, run->history};
  const std::string summary = std::string(role_sequence_name(run->sequence)) +
                              (ok ? " done" : " failed at " + std::string(role_step_name(run->failed_step)) + " (" +
                                                  std::string(io::error_name(run->first_error)) + ")");
  set_state(ok ? run->success_state : State::incomplete, summary + ": " + run->history);
  for (DoneFn& done : run->waiters) done(outcome);
}

void PrimaryRole::set_state(State state, const std::string& reason) {
  const std::string from(primary_state_name(state_));
  state_ = state;
  log_("role " + config_.node_name + ": " + from + " -> " + std::string(primary_state_name(state)) + ": " + reason);
}

void PrimaryRole::do_make_writable(std::uint64_t run_id) {
  if (writable_in_flight_) {
    // A fence does not wait for writability (it refuses writes at once), so an earlier
    // make_writable may still be answering when the node takes the role again: one
    // call at a time keeps the node's write gate simple.
    log_("make_writable waits for an earlier make_writable still in flight");
    after_writable_settles_ = [this, run_id] {
      if (is_current(run_id)) do_make_writable(run_id);
    };
    return;
  }
  writable_in_flight_ = true;
  hooks_.make_writable(alive([this, run_id](io::Error error) {
    HM_ASSERT(writable_in_flight_);  // the hook calls done exactly once
    writable_in_flight_ = false;
    std::function<void()> after = std::move(after_writable_settles_);
    after_writable_settles_ = nullptr;
    step_done(run_id, Step::make_writable, error,
              error == io::Error::ok ? "replicated directories writable"
                                     : "could not make the replicated directories writable: " +
                                           std::string(io::error_name(error)));
    if (after) after();
  }));
}

void PrimaryRole::do_make_read_only(std::uint64_t run_id) {
  if (writable_in_flight_) {
    // A cancelled become_primary's make_writable has not answered: turning read-only
    // now could be undone by it.
    log_("make_read_only waits for a make_writable still in flight");
    after_writable_settles_ = [this, run_id] {
      if (is_current(run_id)) do_make_read_only(run_id);
    };
    return;
  }
  hooks_.make_read_only(alive([this, run_id](io::Error error) {
    step_done(run_id, Step::make_read_only, error,
              error == io::Error::ok ? "replicated directories read-only"
                                     : "could not make the replicated directories read-only: " +
                                           std::string(io::error_name(error)));
  }));
}

void PrimaryRole::do_vip_add(std::uint64_t run_id) {
  if (config_.vip.address.empty()) {
    step_done(run_id, Step::vip_add, io::Error::ok, "no virtual IP configured");
    return;
  }
  HM_ASSERT(!vip_add_in_flight_);
  vip_add_in_flight_ = true;
  io_.vip.add(config_.vip, alive([this, run_id](io::Error error) {
    HM_ASSERT(vip_add_in_flight_);
    vip_add_in_flight_ = false;
    std::function<void()> after = std::move(after_vip_add_settles_);
    after_vip_add_settles_ = nullptr;
    step_done(run_id, Step::vip_add, error,
              error == io::Error::ok ? "virtual IP " + config_.vip.address + " added"
                                     : "could not add virtual IP " + config_.vip.address + ": " +
                                           std::string(io::error_name(error)));
    if (after) after();
  }));
}

void PrimaryRole::do_vip_remove(std::uint64_t run_id, bool repeat) {
  if (config_.vip.address.empty()) {
    step_done(run_id, Step::vip_remove, io::Error::ok, "no virtual IP configured");
    return;
  }
  // An add in flight may take effect after this removal (the seam does not order
  // concurrent calls), so such a removal is repeated once the add has completed.
  const bool add_racing = vip_add_in_flight_;
  io_.vip.remove(config_.vip, alive([this, run_id, repeat, add_racing](io::Error error) {
    if (!is_current(run_id)) {
      step_done(run_id, Step::vip_remove, error, "virtual IP removal settled");
      return;
    }
    if (error != io::Error::ok) {
      step_done(run_id, Step::vip_remove, error,
                "could not remove virtual IP " + config_.vip.address + ": " + std::string(io::error_name(error)));
      return;
    }
    if (!repeat && vip_add_in_flight_) {
      log_("virtual IP " + config_.vip.address + " removed, but an add is still in flight: removing again when it completes");
      after_vip_add_settles_ = [this, run_id] {
        if (is_current(run_id)) do_vip_remove(run_id, true);
      };
      return;
    }
    if (!repeat && add_racing) {
      log_("virtual IP " + config_.vip.address + " removed while an add was in flight: removing again");
      do_vip_remove(run_id, true);
      return;
    }
    step_done(run_id, Step::vip_remove, io::Error::ok, "virtual IP " + config_.vip.address + " removed");
  }));
}

}  // namespace hamirror::core
