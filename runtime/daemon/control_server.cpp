#include "daemon/control_server.h"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <optional>

namespace hamirror::daemon {

struct ControlServer::Pending {
  ControlRequest request;
  std::mutex mutex;
  std::condition_variable answered;
  std::optional<ControlResponse> response;  // guarded by mutex

  void answer(ControlResponse value) {
    {
      std::lock_guard lock(mutex);
      response = std::move(value);
    }
    answered.notify_one();
  }
};

namespace {

ControlResponse unavailable(const std::string& why) {
  return ControlResponse{503, "text/plain", why + "\n", {}};
}

}  // namespace

ControlServer::ControlServer(uv_loop_t* loop, Handler handler)
    : loop_(loop), handler_(std::move(handler)), server_(std::make_unique<httplib::Server>()) {}

ControlServer::~ControlServer() { stop(); }

std::string ControlServer::start(std::uint16_t port) {
  async_ = new uv_async_t;
  async_->data = this;
  uv_async_init(loop_, async_, [](uv_async_t* handle) { static_cast<ControlServer*>(handle->data)->drain(); });

  server_->set_payload_max_length(kMaxControlBodyBytes);
  auto serve = [this](const httplib::Request& request, httplib::Response& response) {
    ControlRequest call{request.method, request.path, request.body,
                        request.get_header_value("Accept").find("text/plain") != std::string::npos};
    ControlResponse answer = hand_to_loop(std::move(call));
    response.status = answer.status;
    for (const auto& [name, value] : answer.headers) response.set_header(name, value);
    response.set_content(answer.body, answer.content_type.c_str());
  };
  server_->Get(R"(/api/.*)", serve);
  server_->Post(R"(/api/.*)", serve);
  // Loopback only: remote administration comes with the web console and its own rules.
  if (!server_->bind_to_port("127.0.0.1", port)) {
    return "cannot listen on 127.0.0.1:" + std::to_string(port) +
           " for the control API (console_port in the node's TOML file): is another program using it?";
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return {};
}

void ControlServer::stop() {
  std::deque<std::shared_ptr<Pending>> orphans;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    orphans.swap(queue_);
  }
  for (auto& pending : orphans) pending->answer(unavailable("hamirrord is stopping"));
  server_->stop();
  if (thread_.joinable()) thread_.join();
  if (async_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
    async_ = nullptr;
  }
}

ControlResponse ControlServer::hand_to_loop(ControlRequest request) {
  auto pending = std::make_shared<Pending>();
  pending->request = std::move(request);
  {
    std::lock_guard lock(mutex_);
    if (closed_) return unavailable("hamirrord is stopping");
    if (queue_.size() >= kMaxQueuedControlRequests) {
      return unavailable("hamirrord is busy: " + std::to_string(kMaxQueuedControlRequests) + " requests already wait");
    }
    queue_.push_back(pending);
    uv_async_send(async_);  // under the lock: stop() closes the handle only after setting closed_
  }
  std::unique_lock lock(pending->mutex);
  const bool answered = pending->answered.wait_for(lock, std::chrono::milliseconds(kControlAnswerTimeoutMs),
                                                   [&] { return pending->response.has_value(); });
  if (!answered) {
    return unavailable("hamirrord did not answer within " + std::to_string(kControlAnswerTimeoutMs) +
                       " ms (its event loop is stuck: see the module log)");
  }
  return std::move(*pending->response);
}

void ControlServer::drain() {
  std::deque<std::shared_ptr<Pending>> batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(queue_);
  }
  for (auto& pending : batch) pending->answer(handler_(pending->request));
}

}  // namespace hamirror::daemon
