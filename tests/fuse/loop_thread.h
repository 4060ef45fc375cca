// A libuv loop running on its own thread, for tests whose main thread makes blocking
// system calls on a FUSE mount served by that loop. run(fn) executes fn on the loop
// thread and waits for it.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace hamirror::test {

class LoopThread {
 public:
  LoopThread() {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &wake_, &LoopThread::on_wake);
    wake_.data = this;
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  // Closes the wake-up handle; the loop then ends once every other handle is closed.
  ~LoopThread() {
    run([this] { uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr); });
    thread_.join();
    uv_loop_close(&loop_);
  }
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  uv_loop_t* loop() { return &loop_; }

  void run(std::function<void()> task) {
    std::promise<void> ran;
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back([&] {
        task();
        ran.set_value();
      });
    }
    uv_async_send(&wake_);
    ran.get_future().wait();
  }

 private:
  static void on_wake(uv_async_t* handle) {
    auto* self = static_cast<LoopThread*>(handle->data);
    std::deque<std::function<void()>> tasks;
    {
      std::lock_guard lock(self->mutex_);
      tasks.swap(self->tasks_);
    }
    for (auto& task : tasks) task();
  }

  uv_loop_t loop_{};
  uv_async_t wake_{};
  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
  std::thread thread_;
};

}  // namespace hamirror::test
