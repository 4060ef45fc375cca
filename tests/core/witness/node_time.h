// What the simulator does not model on its own, for the witness tests: a node whose
// monotonic clock runs at its own rate (drift), and a node that freezes (a stopped
// process, a paused VM) and later resumes.
//
// NodeClock wraps the scheduler's time: the node reads real time × (1 + ppm / 10⁶),
// and its timers fire when THAT reading reaches their due time. Frozen, nothing of
// the node runs: timer fires are held (an overdue timer fires once, as in an event
// loop that was not scheduled) and so are datagrams (HeldNetwork), exactly as a
// stopped process finds them in its socket buffer when it resumes. Time keeps going.
// thaw() hands everything held back to the scheduler, in the order it was held.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <utility>

#include "io/assert.h"
#include "io/clock.h"
#include "io/network.h"
#include "sim/scheduler.h"

namespace hamirror::witness_test {

// Held callbacks of one frozen node; more than this means a runaway test.
constexpr std::size_t kMaxHeldCallbacks = 100'000;

class NodeClock final : public io::Clock {
 public:
  NodeClock(sim::Scheduler& scheduler, const io::Clock& wall, std::int64_t drift_ppm)
      : scheduler_(scheduler), wall_(wall), drift_ppm_(drift_ppm) {
    HM_ASSERT(drift_ppm > -100'000 && drift_ppm < 100'000);
  }

  std::int64_t now_ns() const override { return to_local(scheduler_.now_ns()); }
  std::int64_t wall_ns() const override { return wall_.wall_ns(); }
  std::unique_ptr<io::Timer> make_timer() override;

  std::int64_t drift_ppm() const { return drift_ppm_; }
  // The node's reading at real time `real_ns` (monotonic in real_ns).
  std::int64_t to_local(std::int64_t real_ns) const { return real_ns + real_ns * drift_ppm_ / 1'000'000; }
  // The earliest real time at which the node's clock reads at least `local_ns`.
  std::int64_t to_real(std::int64_t local_ns) const {
    std::int64_t real = local_ns * 1'000'000 / (1'000'000 + drift_ppm_);
    while (real > 0 && to_local(real - 1) >= local_ns) --real;
    while (to_local(real) < local_ns) ++real;
    return real;
  }

  void freeze() { frozen_ = true; }
  bool frozen() const { return frozen_; }
  // Runs fn now (frozen: at thaw, after what is already held).
  void run_or_hold(std::function<void()> fn) {
    if (!frozen_) return fn();
    HM_ASSERT(held_.size() < kMaxHeldCallbacks);
    held_.push_back(std::move(fn));
  }
  void thaw() {
    HM_ASSERT(frozen_);
    frozen_ = false;
    for (auto& fn : held_) scheduler_.after(0, std::move(fn));
    held_.clear();
  }
  sim::Scheduler& scheduler() { return scheduler_; }

 private:
  sim::Scheduler& scheduler_;
  const io::Clock& wall_;
  std::int64_t drift_ppm_;
  bool frozen_ = false;
  std::deque<std::function<void()>> held_;
};

namespace detail {

// Runs its schedule in the node's time; fires go through the freeze gate.
class NodeTimer final : public io::Timer {
 public:
  explicit NodeTimer(NodeClock& clock) : clock_(clock) {}
  ~NodeTimer() override { stop(); }

  void start(std::int64_t delay_ns, std::int64_t repeat_ns, std::function<void()> callback) override {
    HM_ASSERT(delay_ns >= 0 && repeat_ns >= 0 && callback);
    stop();
    callback_ = std::move(callback);
    repeat_ns_ = repeat_ns;
    arm(clock_.now_ns() + delay_ns);
  }
  void stop() override {
    if (event_ != 0) clock_.scheduler().cancel(event_);
    event_ = 0;
    ++generation_;  // a fire already held for thaw is dropped
    held_ = false;
  }
  bool active() const override { return event_ != 0 || held_; }

 private:
  void arm(std::int64_t due_local_ns) {
    due_local_ns_ = due_local_ns;
    event_ = clock_.scheduler().at(std::max(clock_.to_real(due_local_ns), clock_.scheduler().now_ns()),
                                   [this] { fire(); });
  }
  void fire() {
    event_ = 0;
    if (repeat_ns_ > 0) arm(due_local_ns_ + repeat_ns_);
    if (!clock_.frozen()) return run();
    if (held_) return;  // an overdue timer fires once when the loop resumes
    held_ = true;
    clock_.run_or_hold([this, alive = std::weak_ptr<bool>(alive_), generation = generation_] {
      if (alive.expired() || generation != generation_) return;
      held_ = false;
      run();
    });
  }
  void run() {
    auto callback = callback_;  // the callback may restart or destroy this timer
    callback();
  }

  NodeClock& clock_;
  std::function<void()> callback_;
  std::int64_t repeat_ns_ = 0;
  std::int64_t due_local_ns_ = 0;
  sim::Scheduler::EventId event_ = 0;
  std::uint64_t generation_ = 0;
  bool held_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class HeldEndpoint final : public io::DatagramEndpoint {
 public:
  explicit HeldEndpoint(std::unique_ptr<io::DatagramEndpoint> inner) : inner_(std::move(inner)) {}
  io::Address local_address() const override { return inner_->local_address(); }
  io::Error send_to(const io::Address& to, io::ByteView payload) override { return inner_->send_to(to, payload); }
  std::shared_ptr<bool> alive() const { return alive_; }
  void set_inner(std::unique_ptr<io::DatagramEndpoint> inner) { inner_ = std::move(inner); }

 private:
  std::unique_ptr<io::DatagramEndpoint> inner_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace detail

inline std::unique_ptr<io::Timer> NodeClock::make_timer() { return std::make_unique<detail::NodeTimer>(*this); }

// The node's network with datagram deliveries through its clock's freeze gate.
// Streams pass through untouched (the lease uses none).
class HeldNetwork final : public io::Network {
 public:
  HeldNetwork(io::Network& inner, NodeClock& clock) : inner_(inner), clock_(clock) {}

  io::Result<std::unique_ptr<io::DatagramEndpoint>> open_datagram(const io::Address& local,
                                                                  io::DatagramEndpoint::ReceiveFn on_receive) override {
    auto outer = std::make_unique<detail::HeldEndpoint>(nullptr);
    std::weak_ptr<bool> alive = outer->alive();
    auto deliver = std::make_shared<io::DatagramEndpoint::ReceiveFn>(std::move(on_receive));
    auto inner = inner_.open_datagram(local, [this, alive, deliver](const io::Address& from, io::ByteView payload) {
      clock_.run_or_hold([alive, deliver, from, bytes = io::Bytes(payload.begin(), payload.end())] {
        if (!alive.expired()) (*deliver)(from, bytes);
      });
    });
    if (!inner) return inner.error();
    outer->set_inner(std::move(inner).value());
    return std::unique_ptr<io::DatagramEndpoint>(std::move(outer));
  }
  io::Result<std::unique_ptr<io::StreamListener>> listen(const io::Address& local, AcceptFn on_accept) override {
    return inner_.listen(local, std::move(on_accept));
  }
  void connect(const io::Address& remote, ConnectFn on_connected) override {
    inner_.connect(remote, std::move(on_connected));
  }

 private:
  io::Network& inner_;
  NodeClock& clock_;
};

}  // namespace hamirror::witness_test
