// io::Clock on uv_hrtime (monotonic) and uv_gettimeofday (wall), timers on uv_timer_t.
#include <utility>

#include "io/assert.h"
#include "uv/uv_backend.h"
#include "uv/uv_util.h"

namespace hamirror::uv {
namespace {

// libuv timers count whole milliseconds from the loop's cached time, which is floored
// to a millisecond: round the first delay up and add one so a timer never fires
// early. Repeats count from the previous due time, so they are only rounded up.
std::uint64_t round_up_ms(std::int64_t ns) {
  return static_cast<std::uint64_t>(ns / io::kNsPerMs + (ns % io::kNsPerMs != 0 ? 1 : 0));
}
std::uint64_t first_delay_ms(std::int64_t ns) { return ns == 0 ? 0 : round_up_ms(ns) + 1; }

class UvTimer final : public io::Timer {
 public:
  explicit UvTimer(uv_loop_t* loop) : handle_(new Handle) {
    HM_ASSERT(uv_timer_init(loop, &handle_->timer) == 0);
    handle_->timer.data = handle_;
  }
  ~UvTimer() override {
    uv_timer_stop(&handle_->timer);
    handle_->callback = nullptr;
    close_and_delete(reinterpret_cast<uv_handle_t*>(&handle_->timer), handle_);
  }

  void start(std::int64_t delay_ns, std::int64_t repeat_ns, std::function<void()> callback) override {
    HM_ASSERT(delay_ns >= 0 && repeat_ns >= 0);
    HM_ASSERT(callback);
    handle_->callback = std::move(callback);
    // The loop's time is cached at the start of each iteration; refresh it, or the
    // delay would count from a moment already past.
    uv_update_time(handle_->timer.loop);
    uv_timer_start(&handle_->timer, &UvTimer::fire, first_delay_ms(delay_ns), round_up_ms(repeat_ns));
  }
  void stop() override { uv_timer_stop(&handle_->timer); }
  bool active() const override { return uv_is_active(reinterpret_cast<const uv_handle_t*>(&handle_->timer)) != 0; }

 private:
  // Lives until libuv's close callback, which may come after the UvTimer is gone.
  struct Handle {
    uv_timer_t timer;
    std::function<void()> callback;
  };
  static void fire(uv_timer_t* timer) {
    auto* handle = static_cast<Handle*>(timer->data);
    // The callback may destroy the UvTimer (and reset handle->callback): run a copy.
    auto callback = handle->callback;
    if (callback) callback();
  }
  Handle* handle_;
};

class UvClock final : public io::Clock {
 public:
  explicit UvClock(uv_loop_t* loop) : loop_(loop) {}
  std::int64_t now_ns() const override { return static_cast<std::int64_t>(uv_hrtime()); }
  std::int64_t wall_ns() const override {
    uv_timeval64_t tv{};
    HM_ASSERT(uv_gettimeofday(&tv) == 0);
    return tv.tv_sec * io::kNsPerS + tv.tv_usec * io::kNsPerUs;
  }
  std::unique_ptr<io::Timer> make_timer() override { return std::make_unique<UvTimer>(loop_); }

 private:
  uv_loop_t* loop_;
};

}  // namespace

std::unique_ptr<io::Clock> make_uv_clock(uv_loop_t* loop) { return std::make_unique<UvClock>(loop); }

std::uint64_t os_random_seed() {
  std::uint64_t seed = 0;
  HM_ASSERT(uv_random(nullptr, nullptr, &seed, sizeof seed, 0, nullptr) == 0);
  return seed;
}

}  // namespace hamirror::uv
