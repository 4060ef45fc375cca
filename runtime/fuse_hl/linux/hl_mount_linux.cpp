// HlMount on Linux over libfuse3's high-level API: fuse_new + fuse_mount, then the
// session's requests read on a thread of our own (not fuse_loop) so that stop() can
// always wake it through an eventfd, as the low-level frontend does.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "fuse/loop_dispatcher.h"
#include "fuse/stale_mount.h"
#include "fuse_hl/hl_mount.h"
#include "fuse_hl/path_frontend.h"
#include "io/assert.h"

#include <fuse_lowlevel.h>  // the session under the high-level handle (after hl_api.h: FUSE_USE_VERSION)

namespace hamirror::fuse_hl {

struct HlMount::Impl {
  uv_loop_t* loop;
  MountOptions options;
  fuse::WriteSink& sink;
  LogFn log;

  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  std::unique_ptr<fuse::LoopDispatcher> dispatcher;
  std::unique_ptr<PathFrontend> frontend;
  ::fuse* session_owner = nullptr;  // libfuse's high-level handle
  bool mounted = false;
  int stop_fd = -1;
  std::thread thread;

  std::string start();
  void serve();
  void stop();
  void release_resources();
};

std::string HlMount::Impl::start() {
  if (mounted) return "";
  const std::string& mount_point = options.mount_point;
  if (std::string problem = fuse::prepare_mount_point(mount_point, log); !problem.empty()) return problem;
  std::error_code error;
  if (!std::filesystem::is_directory(options.backing_dir, error)) {
    return "backing directory " + options.backing_dir + " is not a directory (the daemon's data directory is incomplete)";
  }
  const std::string mount_options = "default_permissions,fsname=hamirror:" + options.backing_dir + ",subtype=hamirror" +
                                    (::geteuid() == 0 ? ",allow_other" : "");
  for (const char* arg : {"hamirrord", "-o", mount_options.c_str()}) HM_ASSERT(fuse_opt_add_arg(&args, arg) == 0);
  dispatcher = std::make_unique<fuse::LoopDispatcher>(loop, sink, log);
  frontend = std::make_unique<PathFrontend>(
      FrontendOptions{.backing_dir = options.backing_dir, .directory = options.directory, .case_insensitive = options.case_insensitive},
      sink, *dispatcher);
  session_owner = fuse_new(&args, &PathFrontend::operations(), sizeof(api::Operations), frontend.get());
  if (session_owner == nullptr) {
    release_resources();
    return "fuse: cannot set up the file system for " + mount_point + " (libfuse printed why on stderr)";
  }
  if (fuse_mount(session_owner, mount_point.c_str()) != 0) {
    release_resources();
    return "fuse: cannot mount on " + mount_point + " (libfuse printed why on stderr)";
  }
  mounted = true;
  const int fuse_fd = fuse_session_fd(fuse_get_session(session_owner));
  ::fcntl(fuse_fd, F_SETFL, ::fcntl(fuse_fd, F_GETFL) | O_NONBLOCK);
  stop_fd = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd < 0) {
    const std::string why = std::strerror(errno);
    release_resources();
    return "fuse: eventfd for " + mount_point + ": " + why;
  }
  thread = std::thread([this] { serve(); });
  if (log) log("fuse_hl: mounted " + mount_point + " over " + options.backing_dir);
  return "";
}

// FUSE's thread: one request at a time (each change waits for the loop) until stop()
// or until the mount goes away.
void HlMount::Impl::serve() {
  fuse_session* session = fuse_get_session(session_owner);
  pollfd fds[2] = {{fuse_session_fd(session), POLLIN, 0}, {stop_fd, POLLIN, 0}};
  fuse_buf buffer{};
  while (!fuse_session_exited(session)) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      dispatcher->post_log("fuse_hl: " + options.mount_point + ": poll failed: " + std::strerror(errno));
      break;
    }
    if (fds[1].revents != 0) break;
    const int received = fuse_session_receive_buf(session, &buffer);
    if (received == -EINTR || received == -EAGAIN || received == 0) continue;
    if (received < 0) {
      dispatcher->post_log("fuse_hl: " + options.mount_point +
                           (received == -ENODEV ? std::string(" was unmounted from outside; writes there are not captured")
                                                : ": reading /dev/fuse failed: " + std::string(std::strerror(-received))));
      break;
    }
    fuse_session_process_buf(session, &buffer);
  }
  std::free(buffer.mem);
}

void HlMount::Impl::stop() {
  if (!mounted) return;
  const std::uint64_t one = 1;
  HM_ASSERT(::write(stop_fd, &one, sizeof one) == sizeof one);
  // A callback may be waiting for this very loop: the dispatcher answers it (cancelled,
  // EIO) so that FUSE's thread can see the stop.
  dispatcher->close();
  thread.join();
  release_resources();
  if (log) log("fuse_hl: unmounted " + options.mount_point);
}

void HlMount::Impl::release_resources() {
  if (dispatcher) dispatcher->close();
  if (session_owner != nullptr) {
    if (mounted) fuse_unmount(session_owner);
    fuse_destroy(session_owner);
    session_owner = nullptr;
  }
  mounted = false;
  frontend.reset();
  dispatcher.reset();
  if (stop_fd >= 0) ::close(stop_fd);
  stop_fd = -1;
  fuse_opt_free_args(&args);
}

HlMount::HlMount(uv_loop_t* loop, MountOptions options, fuse::WriteSink& sink, LogFn log)
    : impl_(new Impl{.loop = loop, .options = std::move(options), .sink = sink, .log = std::move(log)}) {}
HlMount::~HlMount() { stop(); }
std::string HlMount::start() { return impl_->start(); }
void HlMount::stop() { impl_->stop(); }
bool HlMount::mounted() const { return impl_->mounted; }

}  // namespace hamirror::fuse_hl
