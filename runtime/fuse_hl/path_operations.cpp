// The callback table: each entry finds the PathFrontend in the FUSE context and calls it.
// The members' names are the same in libfuse3's fuse_operations and WinFsp's
// fuse3_operations, so this table builds against either.
#include <cerrno>
#include <future>

#include "fuse/errno_map.h"
#include "fuse_hl/path_frontend.h"
#include "io/assert.h"

namespace hamirror::fuse_hl {
namespace {

PathFrontend& self() { return *static_cast<PathFrontend*>(api::private_data()); }

api::Operations make_operations() {
  api::Operations ops{};
  ops.init = [](api::ConnInfo* conn, api::Config* config) -> void* {
    self().init(conn, config);
    return api::private_data();  // stays the context's private_data
  };
  ops.getattr = [](const char* path, api::Stat* attributes, api::FileInfo* fi) {
    return self().getattr(path, attributes, fi);
  };
  ops.open = [](const char* path, api::FileInfo* fi) { return self().open(path, fi); };
  ops.read = [](const char*, char* buffer, size_t size, api::Offset offset, api::FileInfo* fi) {
    return self().read(buffer, size, offset, fi);
  };
  ops.release = [](const char*, api::FileInfo* fi) { return self().release(fi); };
  ops.flush = [](const char*, api::FileInfo*) { return 0; };  // every write was acknowledged once replicated
  ops.readdir = [](const char* path, void* buffer, api::FillDir fill, api::Offset, api::FileInfo*, api::ReaddirFlags) {
    return self().readdir(path, buffer, fill);
  };
  ops.statfs = [](const char*, api::StatVfs* stats) { return self().statfs(stats); };
  ops.create = [](const char* path, api::Mode mode, api::FileInfo* fi) { return self().create(path, mode, fi); };
  ops.mknod = [](const char* path, api::Mode mode, api::Dev) { return self().mknod(path, mode); };
  ops.mkdir = [](const char* path, api::Mode mode) { return self().mkdir(path, mode); };
  ops.unlink = [](const char* path) { return self().unlink(path); };
  ops.rmdir = [](const char* path) { return self().rmdir(path); };
  ops.rename = [](const char* from, const char* to, unsigned int flags) { return self().rename(from, to, flags); };
  ops.truncate = [](const char* path, api::Offset size, api::FileInfo*) { return self().truncate(path, size); };
  ops.utimens = [](const char* path, const api::Timespec times[2], api::FileInfo*) { return self().utimens(path, times); };
  ops.chmod = [](const char* path, api::Mode mode, api::FileInfo*) {
    api::Stat now{};
    if (self().getattr(path, &now, nullptr) != 0) return -ENOENT;
    const auto bits = static_cast<std::uint32_t>(mode) & core::kModeBits;
    if (bits == (static_cast<std::uint32_t>(now.st_mode) & core::kModeBits)) return 0;
    return self().chmod(path, bits);
  };
  ops.chown = [](const char* path, api::Uid uid, api::Gid gid, api::FileInfo*) {
    api::Stat now{};
    if (self().getattr(path, &now, nullptr) != 0) return -ENOENT;
    // -1 (all bits set) leaves an id as it is.
    const bool changes = (uid != static_cast<api::Uid>(-1) && uid != now.st_uid) ||
                         (gid != static_cast<api::Gid>(-1) && gid != now.st_gid);
    return self().change_owner(path, changes);
  };
  ops.write = [](const char* path, const char* buffer, size_t size, api::Offset offset, api::FileInfo*) {
    return self().write(path, buffer, size, offset);
  };
  ops.fsync = [](const char* path, int, api::FileInfo*) { return self().fsync(path); };
  // The core has no directory sync op yet: EINVAL, as the Linux frontend.
  ops.fsyncdir = [](const char*, int, api::FileInfo*) { return -EINVAL; };
  ops.symlink = [](const char*, const char* path) { return self().not_replicated("symbolic link", path); };
  ops.link = [](const char*, const char* path) { return self().not_replicated("hard link", path); };
  return ops;
}

}  // namespace

PathFrontend::PathFrontend(FrontendOptions options, fuse::WriteSink& sink, fuse::LoopDispatcher& dispatcher)
    : options_(std::move(options)), backing_(options_.backing_dir), sink_(sink), dispatcher_(dispatcher) {}

const api::Operations& PathFrontend::operations() {
  static const api::Operations ops = make_operations();
  return ops;
}

void PathFrontend::init(api::ConnInfo* conn, api::Config* config) {
  // The OS would acknowledge writes before they are replicated.
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_WRITEBACK_CACHE);
  // open(O_TRUNC) then arrives as a truncate, replicated.
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_ATOMIC_O_TRUNC);
  if (options_.case_insensitive) api::declare_case_insensitive(conn);
  config->entry_timeout = kAttrTimeoutS;
  config->attr_timeout = kAttrTimeoutS;
  config->negative_timeout = 0;  // a name the peer's copy just got must be found at once after a failover
  config->kernel_cache = 0;      // each open drops cached pages (the secondary sees replicated data)
  config->hard_remove = 0;       // libfuse keeps unlinked open files (see path_frontend.h)
  config->use_ino = 0;
  log("fuse_hl: " + options_.backing_dir + ": writes of up to " + std::to_string(conn->max_write) + " bytes" +
      (options_.case_insensitive ? ", names without regard to case" : ""));
}

core::FileOp PathFrontend::op(core::OpKind kind, const std::string& path) const {
  return core::FileOp{.kind = kind, .directory = options_.directory, .path = path};
}

io::Error PathFrontend::replicate(std::vector<core::FileOp> ops) {
  HM_ASSERT(!ops.empty());
  // Held only by the submission: a submission the dispatcher drops after it closed
  // destroys the promise, and the wait ends with broken_promise instead of hanging.
  auto promise = std::make_shared<std::promise<io::Error>>();
  std::future<io::Error> result = promise->get_future();
  dispatcher_.post(fuse::Submission{.ops = std::move(ops), .finish = [promise](io::Error error) { promise->set_value(error); }});
  promise.reset();
  try {
    return result.get();
  } catch (const std::future_error&) {
    return io::Error::cancelled;
  }
}

int PathFrontend::answer(io::Error result, const std::string& what) {
  if (result == io::Error::ok) return 0;
  // read_only is the normal answer on a secondary: not worth a line each time.
  if (result != io::Error::read_only) {
    log("fuse_hl: " + options_.backing_dir + ": " + what + " failed: " + std::string(io::error_name(result)));
  }
  return -fuse::errno_from_error(result);
}

void PathFrontend::log(std::string line) { dispatcher_.post_log(std::move(line)); }

}  // namespace hamirror::fuse_hl
