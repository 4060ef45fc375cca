// io::Processes on uv_spawn (both platforms), io::Services and io::VirtualIp through
// runtime/platform on libuv's thread pool.
#include <memory>
#include <utility>

#include "io/assert.h"
#include "platform/platform.h"
#include "uv/uv_backend.h"
#include "uv/uv_log_relay.h"
#include "uv/uv_util.h"

namespace hamirror::uv {
namespace {

constexpr std::size_t kPipeReadBytes = 16 * 1024;
constexpr int kKillSignal = 9;  // SIGKILL; libuv maps it to TerminateProcess on Windows
// After the program exits, how long its output pipes may stay open: a grandchild it
// left running (a service it started, or `ping` under a killed cmd.exe) can hold
// them for good, and the run must still complete.
constexpr std::uint64_t kOutputDrainMs = 200;

// One running child: its process handle, its two output pipes and its timeout timer.
// Freed once the process exited, both pipes reached end of file, and every handle was
// closed (open_handles counts down to zero).
struct Child {
  uv_process_t process;
  uv_pipe_t out_pipes[2];
  uv_timer_t timer;
  io::Processes::RunFn done;
  io::ProcessResult result;
  int open_handles = 0;
  bool pipe_open[2] = {true, true};
  bool exited = false;
  char buffer[kPipeReadBytes];
};

void on_child_handle_closed(uv_handle_t* handle) {
  auto* child = static_cast<Child*>(handle->data);
  if (--child->open_handles == 0) delete child;
}

void close_child_handle(uv_handle_t* handle) {
  if (!uv_is_closing(handle)) uv_close(handle, on_child_handle_closed);
}

bool any_pipe_open(const Child* child) { return child->pipe_open[0] || child->pipe_open[1]; }

void close_pipe(Child* child, int index) {
  if (!child->pipe_open[index]) return;
  child->pipe_open[index] = false;
  close_child_handle(reinterpret_cast<uv_handle_t*>(&child->out_pipes[index]));
}

void maybe_finish(Child* child) {
  if (!child->exited || any_pipe_open(child)) return;
  auto done = std::move(child->done);
  auto result = std::move(child->result);
  close_child_handle(reinterpret_cast<uv_handle_t*>(&child->timer));
  close_child_handle(reinterpret_cast<uv_handle_t*>(&child->process));
  done(std::move(result));
}

void on_pipe_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* child = static_cast<Child*>(handle->data);
  *buf = uv_buf_init(child->buffer, sizeof child->buffer);
}

void on_pipe_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* child = static_cast<Child*>(stream->data);
  if (nread > 0) {
    auto& output = child->result.output;
    const std::size_t room = io::kMaxCapturedOutputBytes - output.size();
    const std::size_t take = std::min<std::size_t>(room, static_cast<std::size_t>(nread));
    output.append(buf->base, take);
    if (take < static_cast<std::size_t>(nread)) child->result.output_truncated = true;
    return;
  }
  if (nread < 0) {
    close_pipe(child, stream == reinterpret_cast<uv_stream_t*>(&child->out_pipes[0]) ? 0 : 1);
    maybe_finish(child);
  }
}

std::vector<std::string> merged_environment(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  uv_env_item_t* items = nullptr;
  int count = 0;
  if (uv_os_environ(&items, &count) == 0) {
    for (int i = 0; i < count; ++i) {
      const std::string name = items[i].name;
      bool overridden = false;
      for (const auto& [key, value] : extra) overridden |= key == name;
      if (!overridden) env.push_back(name + "=" + items[i].value);
    }
    uv_os_free_environ(items, count);
  }
  for (const auto& [key, value] : extra) env.push_back(key + "=" + value);
  return env;
}

class UvProcesses final : public io::Processes {
 public:
  explicit UvProcesses(uv_loop_t* loop) : loop_(loop) {}

  void run(const io::ProcessSpec& spec, RunFn done) override {
    HM_ASSERT(done);
    auto* child = new Child;
    child->done = std::move(done);
    for (auto& pipe : child->out_pipes) {
      HM_ASSERT(uv_pipe_init(loop_, &pipe, 0) == 0);
      pipe.data = child;
    }
    HM_ASSERT(uv_timer_init(loop_, &child->timer) == 0);
    child->timer.data = child;
    child->process.data = child;
    child->open_handles = 3;  // two pipes and the timer; the process handle once spawned

    std::vector<std::string> args_storage{spec.program};
    args_storage.insert(args_storage.end(), spec.args.begin(), spec.args.end());
    std::vector<char*> argv;
    for (auto& arg : args_storage) argv.push_back(arg.data());
    argv.push_back(nullptr);
    auto env_storage = merged_environment(spec.env);
    std::vector<char*> envp;
    for (auto& item : env_storage) envp.push_back(item.data());
    envp.push_back(nullptr);

    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(&child->out_pipes[0]);
    stdio[2].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(&child->out_pipes[1]);

    uv_process_options_t options{};
    options.file = spec.program.c_str();
    options.args = argv.data();
    options.env = envp.data();
    options.cwd = spec.working_dir.empty() ? nullptr : spec.working_dir.c_str();
    options.stdio_count = 3;
    options.stdio = stdio;
    options.flags = UV_PROCESS_WINDOWS_HIDE;
    options.exit_cb = [](uv_process_t* process, int64_t exit_status, int term_signal) {
      auto* exited = static_cast<Child*>(process->data);
      exited->exited = true;
      exited->result.exit_code = static_cast<int>(exit_status);
      // The timeout's kill may cross a normal exit: only a death by that kill counts.
      exited->result.timed_out = exited->result.timed_out && term_signal == kKillSignal;
      exited->result.term_signal = exited->result.timed_out ? 0 : term_signal;
      uv_timer_stop(&exited->timer);
      if (any_pipe_open(exited)) {
        uv_timer_start(&exited->timer, [](uv_timer_t* timer) {
          auto* drained = static_cast<Child*>(timer->data);
          close_pipe(drained, 0);
          close_pipe(drained, 1);
          maybe_finish(drained);
        }, kOutputDrainMs, 0);
      }
      maybe_finish(exited);
    };

    const int status = uv_spawn(loop_, &child->process, &options);
    if (status != 0) {
      // libuv requires closing the process handle even after a failed spawn.
      ++child->open_handles;
      auto fail = std::move(child->done);
      close_child_handle(reinterpret_cast<uv_handle_t*>(&child->process));
      close_pipe(child, 0);
      close_pipe(child, 1);
      close_child_handle(reinterpret_cast<uv_handle_t*>(&child->timer));
      post(loop_, [fail = std::move(fail), status] { fail(error_from_uv(status)); });
      return;
    }
    ++child->open_handles;
    for (auto& pipe : child->out_pipes) {
      uv_read_start(reinterpret_cast<uv_stream_t*>(&pipe), on_pipe_alloc, on_pipe_read);
    }
    if (spec.timeout_ms > 0) {
      uv_timer_start(&child->timer, [](uv_timer_t* timer) {
        auto* late = static_cast<Child*>(timer->data);
        late->result.timed_out = true;
        uv_process_kill(&late->process, kKillSignal);
      }, static_cast<std::uint64_t>(spec.timeout_ms), 0);
    }
  }

  void list_by_name(const std::string& name, ListFn done) override {
    auto result = std::make_shared<io::Result<std::vector<io::ProcessInfo>>>(io::Error::unknown);
    run_blocking(loop_, [result, name] { *result = platform::list_processes_by_name(name); },
                 [result, done = std::move(done)] { done(std::move(*result)); });
  }

 private:
  uv_loop_t* loop_;
};

// Runs a platform call that answers with an io::Error on the thread pool. What the OS
// answered (`detail`) goes to the log before `done` runs: the core's own line then says
// what it means (a failure's detail is a warning, the core judges the failure).
void run_status_call(uv_loop_t* loop, const std::shared_ptr<LogRelay>& log, const std::string& what,
                     std::function<void(io::Error)> done, std::function<io::Error(std::string*)> work) {
  struct Outcome {
    io::Error error = io::Error::ok;
    std::string detail;
  };
  auto outcome = std::make_shared<Outcome>();
  run_blocking(loop, [outcome, work = std::move(work)] { outcome->error = work(&outcome->detail); },
               [outcome, log, what, done = std::move(done)] {
                 if (log && !outcome->detail.empty()) {
                   log->deliver(outcome->error == io::Error::ok ? io::Severity::info : io::Severity::warn,
                                what + ": " + outcome->detail);
                 }
                 done(outcome->error);
               });
}

class UvServices final : public io::Services {
 public:
  UvServices(uv_loop_t* loop, std::shared_ptr<LogRelay> log) : loop_(loop), log_(std::move(log)) {}
  void start(const std::string& name, std::int64_t timeout_ms, DoneFn done) override {
    status_call("service " + name + " start", std::move(done),
                [name, timeout_ms](std::string* detail) { return platform::service_start(name, timeout_ms, detail); });
  }
  void stop(const std::string& name, std::int64_t timeout_ms, DoneFn done) override {
    status_call("service " + name + " stop", std::move(done),
                [name, timeout_ms](std::string* detail) { return platform::service_stop(name, timeout_ms, detail); });
  }
  void query(const std::string& name, QueryFn done) override {
    auto result = std::make_shared<io::Result<io::ServiceState>>(io::Error::unknown);
    run_blocking(loop_, [result, name] { std::string detail; *result = platform::service_query(name, &detail); },
                 [result, done = std::move(done)] { done(*result); });
  }

 private:
  void status_call(const std::string& what, DoneFn done, std::function<io::Error(std::string*)> work) {
    run_status_call(loop_, log_, what, std::move(done), std::move(work));
  }
  uv_loop_t* loop_;
  std::shared_ptr<LogRelay> log_;
};

class UvVirtualIp final : public io::VirtualIp {
 public:
  UvVirtualIp(uv_loop_t* loop, std::shared_ptr<LogRelay> log) : loop_(loop), log_(std::move(log)) {}
  void add(const io::VipSpec& vip, DoneFn done) override {
    // The gratuitous ARP's result comes later, from its own thread: through the relay,
    // which the announcement keeps alive as long as it runs.
    platform::AnnouncementFn announced;
    if (log_) announced = [log = log_](io::Severity severity, const std::string& line) { log->post(severity, "virtual IP: " + line); };
    status_call("virtual IP " + vip.address + " add", std::move(done), [vip, announced = std::move(announced)](std::string* detail) {
      return platform::vip_add(vip, detail, announced);
    });
  }
  void remove(const io::VipSpec& vip, DoneFn done) override {
    status_call("virtual IP " + vip.address + " remove", std::move(done),
                [vip](std::string* detail) { return platform::vip_remove(vip, detail); });
  }
  void check(const io::VipSpec& vip, CheckFn done) override {
    auto result = std::make_shared<io::Result<bool>>(io::Error::unknown);
    run_blocking(loop_, [result, vip] { std::string detail; *result = platform::vip_held(vip, &detail); },
                 [result, done = std::move(done)] { done(*result); });
  }

 private:
  void status_call(const std::string& what, DoneFn done, std::function<io::Error(std::string*)> work) {
    run_status_call(loop_, log_, what, std::move(done), std::move(work));
  }
  uv_loop_t* loop_;
  std::shared_ptr<LogRelay> log_;
};

}  // namespace

std::unique_ptr<io::Processes> make_uv_processes(uv_loop_t* loop) { return std::make_unique<UvProcesses>(loop); }
std::unique_ptr<io::Services> make_uv_services(uv_loop_t* loop, std::shared_ptr<LogRelay> log) {
  return std::make_unique<UvServices>(loop, std::move(log));
}
std::unique_ptr<io::VirtualIp> make_uv_virtual_ip(uv_loop_t* loop, std::shared_ptr<LogRelay> log) {
  return std::make_unique<UvVirtualIp>(loop, std::move(log));
}

}  // namespace hamirror::uv
