// HlMount on Windows over WinFsp's FUSE 3 layer: fuse3_new + fuse3_mount, then
// fuse3_loop_mt on a thread of ours (WinFsp serves requests from its own thread pool;
// the loop call only waits for fuse3_exit). Built only with the WinFsp SDK (WINFSP_DIR);
// see docs/WINDOWS-CAPTURE.md for the checks this needs on a real Windows Server.
#include <filesystem>
#include <thread>

#include "fuse/loop_dispatcher.h"
#include "fuse_hl/hl_mount.h"
#include "fuse_hl/path_frontend.h"

namespace hamirror::fuse_hl {
namespace {

namespace fs = std::filesystem;

// WinFsp creates a directory mount point itself, as a reparse point: the folder must not
// exist. The daemon creates missing mount points (on Linux they must exist); an empty one
// is removed here, a folder with files in it is refused (its files would be hidden).
std::string free_mount_point(const std::string& mount_point) {
  const fs::path where = fs::u8path(mount_point);
  std::error_code error;
  if (!fs::exists(where, error)) return "";
  if (fs::is_directory(where, error) && fs::is_empty(where, error) && fs::remove(where, error)) return "";
  return "mount point " + mount_point +
         " exists and is not an empty folder: WinFsp creates the folder when it mounts. Move its files into this "
         "node's copy (the state_dir's data folder) and remove it, then start again";
}

}  // namespace

struct HlMount::Impl {
  uv_loop_t* loop;
  MountOptions options;
  fuse::WriteSink& sink;
  LogFn log;

  fuse_args args = FUSE_ARGS_INIT(0, nullptr);
  std::unique_ptr<fuse::LoopDispatcher> dispatcher;
  std::unique_ptr<PathFrontend> frontend;
  ::fuse3* session_owner = nullptr;
  bool mounted = false;
  std::thread thread;

  std::string start();
  void stop();
  void release_resources();
};

std::string HlMount::Impl::start() {
  if (mounted) return "";
  const std::string& mount_point = options.mount_point;
  std::error_code error;
  if (!fs::is_directory(fs::u8path(options.backing_dir), error)) {
    return "backing directory " + options.backing_dir + " is not a directory (the daemon's data directory is incomplete)";
  }
  if (std::string problem = free_mount_point(mount_point); !problem.empty()) return problem;
  // uid/gid -1: files belong to the account hamirrord runs as (LocalSystem for the
  // service); the application's access is checked by Windows against the mount's ACL.
  for (const char* arg : {"hamirrord", "-o", "uid=-1,gid=-1", "-o", "FileSystemName=NTFS"}) fuse_opt_add_arg(&args, arg);
  dispatcher = std::make_unique<fuse::LoopDispatcher>(loop, sink, log);
  frontend = std::make_unique<PathFrontend>(
      FrontendOptions{.backing_dir = options.backing_dir, .directory = options.directory, .case_insensitive = options.case_insensitive},
      sink, *dispatcher);
  session_owner = fuse3_new(&args, &PathFrontend::operations(), sizeof(api::Operations), frontend.get());
  if (session_owner == nullptr) {
    release_resources();
    return "WinFsp: cannot set up the file system for " + mount_point + " (is WinFsp installed? winfsp-x64.dll)";
  }
  if (fuse3_mount(session_owner, mount_point.c_str()) != 0) {
    release_resources();
    return "WinFsp: cannot mount on " + mount_point + " (its parent folder must exist; the folder itself must not)";
  }
  mounted = true;
  thread = std::thread([this] {
    fuse3_loop_config config{};
    config.max_idle_threads = 10;
    fuse3_loop_mt(session_owner, &config);
  });
  if (log) log("fuse_hl: mounted " + mount_point + " over " + options.backing_dir + " (WinFsp)");
  return "";
}

void HlMount::Impl::stop() {
  if (!mounted) return;
  fuse3_exit(session_owner);
  // A callback may be waiting for this very loop: the dispatcher answers it (cancelled,
  // EIO) so that WinFsp's threads can finish.
  dispatcher->close();
  thread.join();
  release_resources();
  if (log) log("fuse_hl: unmounted " + options.mount_point);
}

void HlMount::Impl::release_resources() {
  if (dispatcher) dispatcher->close();
  if (session_owner != nullptr) {
    if (mounted) fuse3_unmount(session_owner);
    fuse3_destroy(session_owner);
    session_owner = nullptr;
  }
  mounted = false;
  frontend.reset();
  dispatcher.reset();
  fuse_opt_free_args(&args);
}

HlMount::HlMount(uv_loop_t* loop, MountOptions options, fuse::WriteSink& sink, LogFn log)
    : impl_(new Impl{.loop = loop, .options = std::move(options), .sink = sink, .log = std::move(log)}) {}
HlMount::~HlMount() { stop(); }
std::string HlMount::start() { return impl_->start(); }
void HlMount::stop() { impl_->stop(); }
bool HlMount::mounted() const { return impl_->mounted; }

}  // namespace hamirror::fuse_hl
