// The production I/O bundle: every runtime/io interface on one libuv loop, plus the
// OS-specific parts from runtime/platform. Single-threaded like the loop it wraps.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>

#include "io/io.h"
#include "uv/uv_log_relay.h"

namespace hamirror::uv {

class UvBackend {
 public:
  // The loop must outlive the backend. The PRNG is seeded from the OS (uv_random).
  // platform_log: what the OS answered to VIP and service changes, and the VIP's
  // gratuitous ARP result, on the loop (empty: the ARP result goes to stderr, the
  // answers nowhere).
  explicit UvBackend(uv_loop_t* loop, PlatformLogFn platform_log = {});
  ~UvBackend();
  UvBackend(const UvBackend&) = delete;
  UvBackend& operator=(const UvBackend&) = delete;

  io::Io io();
  uv_loop_t* loop() const { return loop_; }

  // Runs the loop until done() holds or timeout_ms of real time passed; returns
  // done(). For tests and tools: the daemon runs its loop for good.
  bool run_until(const std::function<bool()>& done, std::int64_t timeout_ms);

 private:
  uv_loop_t* loop_;
  std::shared_ptr<LogRelay> platform_log_;  // null without a platform_log
  std::unique_ptr<io::Clock> clock_;
  std::unique_ptr<io::Prng> random_;
  std::unique_ptr<io::Network> network_;
  std::unique_ptr<io::FileSystem> fs_;
  std::unique_ptr<io::Processes> processes_;
  std::unique_ptr<io::Services> services_;
  std::unique_ptr<io::VirtualIp> vip_;
};

// The parts, for code that wants only one of them.
std::unique_ptr<io::Clock> make_uv_clock(uv_loop_t* loop);
std::unique_ptr<io::Network> make_uv_network(uv_loop_t* loop);
std::unique_ptr<io::FileSystem> make_uv_file_system(uv_loop_t* loop);
std::unique_ptr<io::Processes> make_uv_processes(uv_loop_t* loop);
// log: may be null (the OS's answers then go nowhere).
std::unique_ptr<io::Services> make_uv_services(uv_loop_t* loop, std::shared_ptr<LogRelay> log = nullptr);
std::unique_ptr<io::VirtualIp> make_uv_virtual_ip(uv_loop_t* loop, std::shared_ptr<LogRelay> log = nullptr);
std::uint64_t os_random_seed();

}  // namespace hamirror::uv
