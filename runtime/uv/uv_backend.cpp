#include "uv/uv_backend.h"

#include "io/assert.h"
#include "platform/platform.h"

namespace hamirror::uv {

namespace {
uv_loop_t* prepared(uv_loop_t* loop) {
  platform::prepare_process_for_io();
  return loop;
}
}  // namespace

UvBackend::UvBackend(uv_loop_t* loop, PlatformLogFn platform_log)
    : loop_(prepared(loop)),
      platform_log_(platform_log ? std::make_shared<LogRelay>(loop, std::move(platform_log)) : nullptr),
      clock_(make_uv_clock(loop)),
      random_(std::make_unique<io::Prng>(os_random_seed())),
      network_(make_uv_network(loop)),
      fs_(make_uv_file_system(loop)),
      processes_(make_uv_processes(loop)),
      services_(make_uv_services(loop, platform_log_)),
      vip_(make_uv_virtual_ip(loop, platform_log_)) {}

UvBackend::~UvBackend() {
  if (platform_log_) platform_log_->close();
}

io::Io UvBackend::io() { return io::Io{*clock_, *random_, *network_, *fs_, *processes_, *services_, *vip_}; }

bool UvBackend::run_until(const std::function<bool()>& done, std::int64_t timeout_ms) {
  // A ticking timer makes each UV_RUN_ONCE return at least every kTickMs, so the
  // condition and the deadline are checked even when nothing else happens.
  constexpr std::uint64_t kTickMs = 5;
  uv_timer_t tick;
  HM_ASSERT(uv_timer_init(loop_, &tick) == 0);
  uv_timer_start(&tick, [](uv_timer_t*) {}, kTickMs, kTickMs);
  const std::uint64_t deadline_ns = uv_hrtime() + static_cast<std::uint64_t>(timeout_ms) * io::kNsPerMs;
  bool satisfied = done();
  while (!satisfied && uv_hrtime() < deadline_ns) {
    uv_run(loop_, UV_RUN_ONCE);
    satisfied = done();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(loop_, UV_RUN_NOWAIT);  // lets the tick's close complete before it leaves scope
  return satisfied;
}

}  // namespace hamirror::uv
