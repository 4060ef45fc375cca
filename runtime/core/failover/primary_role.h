// Taking and leaving the primary role on this node: the ordered sequences over the
// replicated directories' writability (the node's business, reached through Hooks),
// the virtual IP (io::VirtualIp) and the application (ApplicationControl).
//
//   become_primary:      make writable -> add the VIP -> start the application
//   leave_gracefully:    stop the application (graceful) -> remove the VIP -> read-only
//   fence:               refuse writes (inside the call) -> remove the VIP -> stop the
//                        application (force)
//   restart_application: stop the application (graceful) -> start it (errd's restart)
//
// Why these orders: clients reach the application through the VIP, so the VIP comes
// up only once the data is writable and goes down before the data turns read-only; the
// application starts last and stops first so it never runs without its data. Fencing
// is different: this node may no longer be primary (lease lost, isolated), so the
// writes that could diverge from the peer's copy are refused before anything else,
// and clients are cut off (VIP) before the slow part, the application's stop.
//
// Failures. become_primary and restart_application stop at the first failed step
// (a VIP that cannot be added means start_prim is not run): the outcome names the
// step and the reason, and the role is `incomplete` — some resources taken, some not.
// leave_gracefully and fence are best effort: every step runs whatever the previous
// one reported (a half-left primary is worse than a fully left one); any failure
// leaves the role `incomplete` and the outcome names the first failed step. From
// `incomplete` the node calls leave_gracefully or fence again (both are idempotent:
// every step is safe to repeat, so they also clean up after a crashed daemon).
//
// Concurrency: one sequence is current. A stronger request supersedes a weaker one
// at once: fence > leave_gracefully > become_primary / restart_application. The
// superseded sequence's callers get Error::cancelled (posted, never inside the call);
// its steps in flight finish at the seam but continue nothing. A request for the
// sequence already current joins it (its callers all get its outcome). Cancelling is
// safe because what is still in flight is settled by whoever acts next:
// - the application: ApplicationControl orders its calls (a force stop waits for a
//   start_prim in flight, a start waits for every stop call in flight);
// - the VIP: a removal that may have raced an add still in flight is repeated once
//   that add completes, and the removal step completes only then;
// - writability: fence's refuse_writes acts at once and must beat a make_writable
//   still in flight (see Hooks); leave's make_read_only is called only after a
//   make_writable in flight completed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/failover/application_control.h"
#include "core/failover/deferred_calls.h"
#include "io/io.h"

namespace hamirror::core {

// Bounds the callers joined to one sequence.
constexpr std::size_t kMaxRoleSequenceWaiters = 8;

struct PrimaryRoleConfig {
  std::string node_name;  // for log lines
  io::VipSpec vip;        // address empty: no virtual IP configured
};

class PrimaryRole {
 public:
  enum class State : std::uint8_t { secondary, becoming_primary, primary, restarting, leaving, fencing, incomplete };
  enum class Sequence : std::uint8_t { become_primary, leave_gracefully, fence, restart_application };
  enum class Step : std::uint8_t {
    none,
    make_writable,
    vip_add,
    start_application,
    stop_application,
    vip_remove,
    make_read_only,
    refuse_writes,
  };

  struct Outcome {
    Sequence sequence = Sequence::become_primary;
    io::Error error = io::Error::ok;  // the first failure; cancelled when superseded
    Step failed_step = Step::none;    // where that failure happened
    std::string reason;               // every step's result, for the module log
    bool ok() const { return error == io::Error::ok; }
  };
  using DoneFn = std::function<void(const Outcome&)>;
  using HookDoneFn = std::function<void(io::Error)>;

  // The node's side of writability. make_writable / make_read_only call done exactly
  // once, inside the call or later. refuse_writes acts before it returns: from then on
  // every write to the replicated directories fails, until the next make_writable call
  // — including when a make_writable issued earlier completes afterwards (the node's
  // write gate must let the later refusal win).
  struct Hooks {
    std::function<void(HookDoneFn done)> make_writable;
    std::function<void(HookDoneFn done)> make_read_only;
    std::function<void()> refuse_writes;
  };
  using LogFn = std::function<void(const std::string& line)>;  // module log

  // `application` must outlive this object. The log callback must not destroy it.
  PrimaryRole(io::Io& io, PrimaryRoleConfig config, ApplicationControl& application, Hooks hooks, LogFn log);
  ~PrimaryRole();
  PrimaryRole(const PrimaryRole&) = delete;
  PrimaryRole& operator=(const PrimaryRole&) = delete;

  // Only from `secondary`. done runs exactly once, never inside the call.
  void become_primary(const std::string& reason, DoneFn done);
  // From any state; joins a leave or fence under way.
  void leave_gracefully(const std::string& reason, DoneFn done);
  // From any state; writes are refused before this returns. Joins a fence under way
  // (refusing writes again).
  void fence(const std::string& reason, DoneFn done);
  // Only from `primary`: stop_prim then start_prim, the VIP and writability untouched.
  void restart_application(const std::string& reason, DoneFn done);

  State state() const { return state_; }
  bool busy() const { return current_ != nullptr; }

 private:
  struct Run;

  void begin(Sequence sequence, const std::string& reason, DoneFn done);
  void supersede(const std::string& why);
  void next_step(std::uint64_t run_id);
  void perform(Step step, std::uint64_t run_id);
  void step_done(std::uint64_t run_id, Step step, io::Error error, const std::string& text);
  void finish();
  void set_state(State state, const std::string& reason);

  void do_make_writable(std::uint64_t run_id);
  void do_make_read_only(std::uint64_t run_id);
  void do_vip_add(std::uint64_t run_id);
  void do_vip_remove(std::uint64_t run_id, bool repeat);
  bool is_current(std::uint64_t run_id) const;
  // Wraps a completion so that it does nothing once this object is gone.
  template <typename Fn>
  auto alive(Fn fn);

  io::Io& io_;
  PrimaryRoleConfig config_;
  ApplicationControl& application_;
  Hooks hooks_;
  LogFn log_;
  DeferredCalls deferred_;
  State state_ = State::secondary;
  std::unique_ptr<Run> current_;
  std::uint64_t next_run_id_ = 1;
  bool in_public_call_ = false;
  // Resources with a call in flight that a later sequence must wait for.
  bool writable_in_flight_ = false;
  std::function<void()> after_writable_settles_;
  bool vip_add_in_flight_ = false;
  std::function<void()> after_vip_add_settles_;
  std::shared_ptr<char> lifetime_ = std::make_shared<char>(0);
};

std::string_view primary_state_name(PrimaryRole::State state);
std::string_view role_sequence_name(PrimaryRole::Sequence sequence);
std::string_view role_step_name(PrimaryRole::Step step);

}  // namespace hamirror::core
