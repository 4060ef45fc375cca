#include "daemon/stop_request.h"

namespace hamirror::daemon {

void StopRequest::request() {
  std::lock_guard lock(mutex_);
  requested_ = true;
  if (wake_up_ != nullptr) uv_async_send(wake_up_);
}

void StopRequest::attach(uv_async_t* wake_up) {
  std::lock_guard lock(mutex_);
  wake_up_ = wake_up;
  if (requested_) uv_async_send(wake_up_);
}

void StopRequest::detach() {
  std::lock_guard lock(mutex_);
  wake_up_ = nullptr;
}

}  // namespace hamirror::daemon
