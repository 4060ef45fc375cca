// A clean stop asked for from another thread — the Windows service control handler,
// which the Service Control Manager calls on its own thread — delivered on the node's
// loop as SIGTERM is on Linux: the same stop (stop_prim, virtual IP removed, state
// saved). libuv handles may only be touched on their loop's thread, except
// uv_async_send: so the node lends its uv_async_t here while it runs.
#pragma once

#include <uv.h>

#include <mutex>

namespace hamirror::daemon {

class StopRequest {
 public:
  StopRequest() = default;
  StopRequest(const StopRequest&) = delete;
  StopRequest& operator=(const StopRequest&) = delete;

  // Any thread. A request made before the node listens is kept and delivered when it
  // starts listening (the SCM may send STOP while the node is still starting).
  void request();

  // Loop thread: the running node's wake-up (uv_async_init'ed on its loop), signalled
  // at once if a stop was already requested. detach() before closing the handle.
  void attach(uv_async_t* wake_up);
  void detach();

 private:
  std::mutex mutex_;
  uv_async_t* wake_up_ = nullptr;  // guarded by mutex_
  bool requested_ = false;         // guarded by mutex_
};

}  // namespace hamirror::daemon
