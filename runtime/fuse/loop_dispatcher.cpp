#include "fuse/loop_dispatcher.h"

#include <set>
#include <utility>
#include <variant>

#include "io/assert.h"

namespace hamirror::fuse {

namespace {

struct Tracked {
  Submission submission;
  std::size_t next = 0;         // the first op not submitted yet
  std::size_t outstanding = 0;  // submitted, not completed
  io::Error first_error = io::Error::ok;
  bool refused = false;  // the sink refused an op: the rest are never submitted
  bool finished = false;
};

}  // namespace

struct LoopDispatcher::Core : std::enable_shared_from_this<Core> {
  Core(uv_loop_t* loop_in, WriteSink& sink_in, LogFn log_in) : loop(loop_in), sink(sink_in), log(std::move(log_in)) {}

  void start() {
    async = new uv_async_t;
    HM_ASSERT(uv_async_init(loop, async, &Core::on_async) == 0);
    async->data = this;
    timer = new uv_timer_t;
    HM_ASSERT(uv_timer_init(loop, timer) == 0);
    timer->data = this;
  }

  void post(std::variant<Submission, std::string> item) {
    {
      std::lock_guard lock(mutex);
      if (closed) return;
      incoming.push_back(std::move(item));
    }
    uv_async_send(async);
  }

  static void on_async(uv_async_t* handle) {
    auto* self = static_cast<Core*>(handle->data);
    self->take_incoming();
    self->pump();
  }
  static void on_timer(uv_timer_t* handle) { static_cast<Core*>(handle->data)->pump(); }

  void take_incoming() {
    std::deque<std::variant<Submission, std::string>> items;
    {
      std::lock_guard lock(mutex);
      items.swap(incoming);
    }
    for (auto& item : items) {
      if (auto* line = std::get_if<std::string>(&item)) {
        if (log) log(*line);
        continue;
      }
      auto tracked = std::make_shared<Tracked>(Tracked{.submission = std::move(std::get<Submission>(item))});
      unfinished.insert(tracked);
      waiting.push_back(std::move(tracked));
    }
  }

  // Submits waiting ops in order until the sink pushes back.
  void pump() {
    while (!waiting.empty() && !stopped) {
      const std::shared_ptr<Tracked> tracked = waiting.front();
      if (!submit_rest(tracked)) {
        if (uv_is_active(reinterpret_cast<uv_handle_t*>(timer)) == 0) {
          uv_timer_start(timer, &Core::on_timer, kRetryDelayMs, 0);
        }
        return;
      }
      waiting.pop_front();
      maybe_finish(tracked);
    }
  }

  // false: the sink said would_block; the rest waits.
  bool submit_rest(const std::shared_ptr<Tracked>& tracked) {
    auto& ops = tracked->submission.ops;
    while (tracked->next < ops.size() && !tracked->refused) {
      ++tracked->outstanding;
      // A copy: the sink consumes its argument even when it refuses it.
      const io::Error accepted = sink.submit(ops[tracked->next], [weak = weak_from_this(), tracked](io::Error result) {
        --tracked->outstanding;
        if (result != io::Error::ok && tracked->first_error == io::Error::ok) tracked->first_error = result;
        const auto self = weak.lock();
        if (!self || self->stopped) return;
        self->maybe_finish(tracked);
        self->pump();
      });
      if (accepted == io::Error::would_block) {
        --tracked->outstanding;
        return false;
      }
      if (accepted != io::Error::ok) {
        --tracked->outstanding;
        if (tracked->first_error == io::Error::ok) tracked->first_error = accepted;
        tracked->refused = true;
        break;
      }
      ops[tracked->next].data = {};  // submitted: the sink has its own copy
      ++tracked->next;
    }
    return true;
  }

  void maybe_finish(const std::shared_ptr<Tracked>& tracked) {
    const bool all_submitted = tracked->refused || tracked->next == tracked->submission.ops.size();
    if (tracked->finished || tracked->outstanding > 0 || !all_submitted) return;
    tracked->finished = true;
    unfinished.erase(tracked);
    tracked->submission.finish(tracked->first_error);
  }

  // What was posted is taken but not submitted: it is answered cancelled below.
  void close() {
    if (stopped) return;
    stopped = true;
    {
      std::lock_guard lock(mutex);
      closed = true;
    }
    take_incoming();
    const auto left = std::move(unfinished);
    for (const auto& tracked : left) {
      if (tracked->finished) continue;
      tracked->finished = true;
      tracked->submission.finish(io::Error::cancelled);
    }
    waiting.clear();
    uv_close(reinterpret_cast<uv_handle_t*>(async), [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
    uv_close(reinterpret_cast<uv_handle_t*>(timer), [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
  }

  uv_loop_t* loop;
  WriteSink& sink;
  LogFn log;
  uv_async_t* async = nullptr;
  uv_timer_t* timer = nullptr;

  std::mutex mutex;
  bool closed = false;  // under mutex: posts are dropped
  std::deque<std::variant<Submission, std::string>> incoming;

  // Loop thread only.
  bool stopped = false;
  std::deque<std::shared_ptr<Tracked>> waiting;  // not completely submitted, in order
  std::set<std::shared_ptr<Tracked>> unfinished;
};

LoopDispatcher::LoopDispatcher(uv_loop_t* loop, WriteSink& sink, LogFn log)
    : core_(std::make_shared<Core>(loop, sink, std::move(log))) {
  core_->start();
}

LoopDispatcher::~LoopDispatcher() { core_->close(); }

void LoopDispatcher::post(Submission submission) { core_->post(std::move(submission)); }
void LoopDispatcher::post_log(std::string line) { core_->post(std::move(line)); }
void LoopDispatcher::close() { core_->close(); }

}  // namespace hamirror::fuse
