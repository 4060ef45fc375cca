// The control API's HTTP side: cpp-httplib serves 127.0.0.1:<console_port> only, on
// its own threads. Each request is handed to the libuv loop (a bounded, mutex-
// protected queue plus uv_async_send); the HTTP thread waits for the loop's answer at
// most kControlAnswerTimeoutMs. The handler runs on the loop and must not block.
// CONTROL-API.md documents the endpoints (control_api.h implements them).
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace hamirror::daemon {

constexpr std::size_t kMaxQueuedControlRequests = 64;
constexpr std::int64_t kControlAnswerTimeoutMs = 5000;
constexpr std::size_t kMaxControlBodyBytes = 64 * 1024;

struct ControlRequest {
  std::string method;  // "GET", "POST"
  std::string path;    // "/api/v1/state"
  std::string body;
  bool wants_text = false;  // Accept: text/plain (the CLI): a sentence instead of JSON
};

struct ControlResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

class ControlServer {
 public:
  using Handler = std::function<ControlResponse(const ControlRequest&)>;

  ControlServer(uv_loop_t* loop, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds 127.0.0.1:port and serves; "" when listening, else what failed. On the loop.
  std::string start(std::uint16_t port);
  // Answers queued requests with 503, stops the HTTP threads, closes the async handle.
  // On the loop, before it ends.
  void stop();

 private:
  struct Pending;
  ControlResponse hand_to_loop(ControlRequest request);
  void drain();  // on the loop

  uv_loop_t* loop_;
  Handler handler_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  uv_async_t* async_ = nullptr;
  std::mutex mutex_;
  std::deque<std::shared_ptr<Pending>> queue_;  // guarded by mutex_
  bool closed_ = false;                         // guarded by mutex_
};

}  // namespace hamirror::daemon
