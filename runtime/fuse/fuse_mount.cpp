#include "fuse/fuse_mount.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "fuse/fuse_requests.h"
#include "fuse/hidden_area.h"
#include "fuse/loop_dispatcher.h"
#include "fuse/stale_mount.h"
#include "fuse/write_sink.h"
#include "io/assert.h"

namespace hamirror::fuse {
namespace {

// 1 MiB: one write request is then one replicated write op (core::kMaxWriteOpBytes).
constexpr const char* kConnectionOptions = "max_write=1048576";

std::vector<std::string> hidden_leftovers(const std::string& backing_dir, bool& directory_exists) {
  std::vector<std::string> names;
  std::error_code error;
  const std::filesystem::path hidden = std::filesystem::path(backing_dir) / std::string(kHiddenDirectory);
  directory_exists = std::filesystem::is_directory(hidden, error);
  if (!directory_exists) return names;
  for (const auto& entry : std::filesystem::directory_iterator(hidden, error)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

}  // namespace

struct FuseMount::Impl {
  uv_loop_t* loop;
  std::string mount_point;
  std::string backing_dir;
  std::uint32_t directory;
  WriteSink& sink;
  LogFn log;

  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  fuse_conn_info_opts* conn_opts = nullptr;
  std::unique_ptr<LoopDispatcher> dispatcher;
  std::unique_ptr<FuseRequests> requests;
  fuse_session* session = nullptr;
  bool mounted = false;
  int stop_fd = -1;  // eventfd: wakes the session thread to stop
  std::thread thread;

  std::string start();
  void stop();
  void serve();
  void release_resources();
};

std::string FuseMount::Impl::start() {
  if (mounted) return "";
  if (std::string problem = prepare_mount_point(mount_point, log); !problem.empty()) return problem;
  std::error_code error;
  if (!std::filesystem::is_directory(backing_dir, error)) {
    return "backing directory " + backing_dir + " is not a directory (the daemon's data directory is incomplete)";
  }
  bool hidden_exists = false;
  std::vector<std::string> leftovers = hidden_leftovers(backing_dir, hidden_exists);
  if (!leftovers.empty() && log) {
    log("fuse: " + backing_dir + ": removing " + std::to_string(leftovers.size()) +
        " file(s) unlinked while open before a crash (now if writable, else at the first change)");
  }

  const std::string mount_options = std::string("default_permissions,fsname=hamirror:") + backing_dir +
                                    ",subtype=hamirror" + (::geteuid() == 0 ? ",allow_other" : "");
  for (const char* arg : {"hamirrord", "-o", kConnectionOptions, "-o", mount_options.c_str()}) {
    HM_ASSERT(fuse_opt_add_arg(&args, arg) == 0);
  }
  conn_opts = fuse_parse_conn_info_opts(&args);
  if (conn_opts == nullptr) {
    release_resources();
    return "fuse: bad connection options " + std::string(kConnectionOptions);
  }
  dispatcher = std::make_unique<LoopDispatcher>(loop, sink, log);
  requests = std::make_unique<FuseRequests>(backing_dir, directory, sink, *dispatcher, std::move(leftovers),
                                            hidden_exists, conn_opts);
  session = fuse_session_new(&args, &FuseRequests::operations(), sizeof(fuse_lowlevel_ops), requests.get());
  if (session == nullptr) {
    release_resources();
    return "fuse: cannot create a session for " + mount_point + " (libfuse printed why on stderr)";
  }
  if (fuse_session_mount(session, mount_point.c_str()) != 0) {
    release_resources();
    return "fuse: cannot mount on " + mount_point + " (libfuse printed why on stderr)";
  }
  mounted = true;
  const int fuse_fd = fuse_session_fd(session);
  ::fcntl(fuse_fd, F_SETFL, ::fcntl(fuse_fd, F_GETFL) | O_NONBLOCK);
  stop_fd = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd < 0) {
    const std::string why = std::strerror(errno);
    release_resources();
    return "fuse: eventfd for " + mount_point + ": " + why;
  }
  if (sink.writable()) requests->remove_leftovers();
  thread = std::thread([this] { serve(); });
  if (log) log("fuse: mounted " + mount_point + " over " + backing_dir);
  return "";
}

// FUSE's thread: reads requests until stop() or until the mount goes away.
void FuseMount::Impl::serve() {
  pollfd fds[2] = {{fuse_session_fd(session), POLLIN, 0}, {stop_fd, POLLIN, 0}};
  fuse_buf buffer{};
  while (!fuse_session_exited(session)) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      dispatcher->post_log("fuse: " + mount_point + ": poll failed: " + std::strerror(errno));
      break;
    }
    if (fds[1].revents != 0) break;
    const int received = fuse_session_receive_buf(session, &buffer);
    if (received == -EINTR || received == -EAGAIN || received == 0) continue;
    if (received < 0) {
      if (received == -ENODEV) {
        dispatcher->post_log("fuse: " + mount_point + " was unmounted from outside; writes there are not captured");
      } else {
        dispatcher->post_log("fuse: " + mount_point + ": reading /dev/fuse failed: " + std::strerror(-received));
      }
      break;
    }
    fuse_session_process_buf(session, &buffer);
  }
  std::free(buffer.mem);
}

void FuseMount::Impl::stop() {
  if (!mounted) return;
  const std::uint64_t one = 1;
  HM_ASSERT(::write(stop_fd, &one, sizeof one) == sizeof one);
  thread.join();
  release_resources();
  if (log) log("fuse: unmounted " + mount_point);
}

void FuseMount::Impl::release_resources() {
  // First: a change still waiting is answered while the session can carry the reply.
  if (dispatcher) dispatcher->close();
  if (session != nullptr) {
    if (mounted) fuse_session_unmount(session);
    fuse_session_destroy(session);
    session = nullptr;
  }
  mounted = false;
  requests.reset();
  dispatcher.reset();
  if (stop_fd >= 0) ::close(stop_fd);
  stop_fd = -1;
  std::free(conn_opts);
  conn_opts = nullptr;
  fuse_opt_free_args(&args);
}

FuseMount::FuseMount(uv_loop_t* loop, std::string mount_point, std::string backing_dir, std::uint32_t directory,
                     WriteSink& sink, LogFn log)
    : impl_(new Impl{.loop = loop,
                     .mount_point = std::move(mount_point),
                     .backing_dir = std::move(backing_dir),
                     .directory = directory,
                     .sink = sink,
                     .log = std::move(log)}) {}

FuseMount::~FuseMount() { stop(); }

std::string FuseMount::start() { return impl_->start(); }
void FuseMount::stop() { impl_->stop(); }
bool FuseMount::mounted() const { return impl_->mounted; }
const std::string& FuseMount::mount_point() const { return impl_->mount_point; }

}  // namespace hamirror::fuse
