#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "daemon/pid_lock.h"

namespace hamirror::daemon {
namespace {

class PosixPidLock final : public PidLock {
 public:
  PosixPidLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixPidLock() override {
    ::unlink(path_.c_str());  // before the unlock: a successor recreates it
    ::close(fd_);
  }

 private:
  int fd_;
  std::string path_;
};

std::string read_pid(int fd) {
  char text[32] = {};
  const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
  std::string pid = got > 0 ? std::string(text, static_cast<std::size_t>(got)) : std::string();
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

}  // namespace

PidLockResult acquire_pid_lock(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return {nullptr, "cannot open the lock file " + path + ": " + std::strerror(errno)};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const std::string pid = read_pid(fd);
    ::close(fd);
    return {nullptr, "another hamirrord (pid " + (pid.empty() ? std::string("unknown") : pid) +
                         ") already runs on this state_dir (lock file " + path + "); stop it first"};
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    ::close(fd);
    return {nullptr, "cannot write the lock file " + path + ": " + std::strerror(errno)};
  }
  return {std::make_unique<PosixPidLock>(fd, path), {}};
}

}  // namespace hamirror::daemon
