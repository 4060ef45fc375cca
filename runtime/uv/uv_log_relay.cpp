#include "uv/uv_log_relay.h"

#include <cstdio>

#include "io/assert.h"

namespace hamirror::uv {
namespace {

void to_stderr(io::Severity severity, const std::string& line) {
  std::fprintf(stderr, "hamirrord: %s: %s\n", std::string(io::severity_name(severity)).c_str(), line.c_str());
}

}  // namespace

LogRelay::LogRelay(uv_loop_t* loop, PlatformLogFn log) : log_(std::move(log)) {
  if (!log_) return;
  async_ = new uv_async_t;
  HM_ASSERT(uv_async_init(loop, async_, [](uv_async_t* handle) { static_cast<LogRelay*>(handle->data)->drain(); }) == 0);
  async_->data = this;
  // A line that may come must not keep the loop running once everything else is done.
  uv_unref(reinterpret_cast<uv_handle_t*>(async_));
}

LogRelay::~LogRelay() { HM_ASSERT(async_ == nullptr); }

void LogRelay::deliver(io::Severity severity, const std::string& line) {
  if (log_) return log_(severity, line);
  to_stderr(severity, line);
}

void LogRelay::post(io::Severity severity, std::string line) {
  std::unique_lock lock(mutex_);
  if (async_ == nullptr) {
    lock.unlock();
    return to_stderr(severity, line);
  }
  if (queue_.size() >= kMaxRelayedLines) {
    ++dropped_;
    return;
  }
  queue_.emplace_back(severity, std::move(line));
  uv_async_send(async_);  // under the lock: close() cannot free the handle meanwhile
}

void LogRelay::drain() {
  std::vector<std::pair<io::Severity, std::string>> lines;
  std::size_t dropped = 0;
  {
    std::lock_guard lock(mutex_);
    lines.swap(queue_);
    std::swap(dropped, dropped_);
  }
  for (const auto& [severity, line] : lines) deliver(severity, line);
  if (dropped > 0) deliver(io::Severity::warn, std::to_string(dropped) + " platform log lines dropped (too many at once)");
}

void LogRelay::close() {
  drain();
  std::lock_guard lock(mutex_);
  if (async_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
  async_ = nullptr;
}

}  // namespace hamirror::uv
