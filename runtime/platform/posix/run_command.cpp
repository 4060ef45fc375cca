#include "platform/posix/run_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "io/assert.h"

extern char** environ;

namespace hamirror::platform::posix {
namespace {

// poll() wakes at least this often to notice that the child exited while a grandchild
// it left behind still holds the pipe open (its output would never reach EOF).
constexpr int kPollSliceMs = 50;
constexpr std::size_t kReadChunkBytes = 4096;
// Folders searched after PATH: see find_program().
constexpr std::array<const char*, 4> kSystemFolders = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// A pipe end must not sit on 0, 1 or 2 (possible when the daemon closed its standard
// streams): dup2(fd, fd) in the child would then keep its close-on-exec flag.
bool move_above_stdio(Fd& fd) {
  if (fd.get() > STDERR_FILENO) return true;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (moved < 0) return false;
  fd.reset(moved);
  return true;
}

// environ plus LC_ALL=C, so the helpers print what the parsers expect.
std::vector<char*> child_environment(std::string& lc_all) {
  std::vector<char*> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "LC_ALL=", 7) != 0) env.push_back(*entry);
  }
  lc_all = "LC_ALL=C";
  env.push_back(lc_all.data());
  env.push_back(nullptr);
  return env;
}

struct SpawnAttributes {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnAttributes() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

int prepare(SpawnAttributes& spawn, int write_fd) {
  // Own process group: a timeout kills the helper and whatever it started. Signals the
  // daemon ignores or blocks (SIGPIPE, SIGCHLD, ...) are reset for the child.
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&defaults, sig);
  int rc = posix_spawnattr_setflags(&spawn.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (rc == 0) rc = posix_spawnattr_setpgroup(&spawn.attr, 0);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&spawn.attr, &empty);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&spawn.attr, &defaults);
  if (rc == 0) rc = posix_spawn_file_actions_addopen(&spawn.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&spawn.actions, write_fd, STDOUT_FILENO);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&spawn.actions, write_fd, STDERR_FILENO);
  return rc;
}

// Appends what is readable now; false once the pipe reached EOF (or failed).
bool drain(int fd, CommandResult& result) {
  char buffer[kReadChunkBytes];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      const std::size_t room = kMaxCommandOutputBytes - result.output.size();
      result.output.append(buffer, std::min(room, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

void record_status(int status, CommandResult& result) {
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
}

pid_t wait_child(pid_t pid, int* status, int flags) {
  for (;;) {
    const pid_t got = ::waitpid(pid, status, flags);
    if (got >= 0 || errno != EINTR) return got;
  }
}

// Reads until the child exited and the pipe is drained, or until the deadline.
void collect(pid_t pid, int read_fd, std::int64_t timeout_ms, CommandResult& result) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  bool open = true;
  for (;;) {
    int status = 0;
    if (wait_child(pid, &status, WNOHANG) == pid) {
      record_status(status, result);
      if (open) drain(read_fd, result);  // all it wrote is in the pipe by now
      return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    if (open) {
      pollfd entry{read_fd, POLLIN, 0};
      const int ready = ::poll(&entry, 1, static_cast<int>(std::min<std::int64_t>(left, kPollSliceMs)));
      if (ready > 0) open = drain(read_fd, result);
    } else {
      ::usleep(static_cast<useconds_t>(std::min<std::int64_t>(left, kPollSliceMs)) * 1000);
    }
  }
  result.timed_out = true;
  ::kill(-pid, SIGKILL);
  int status = 0;
  if (wait_child(pid, &status, 0) == pid) record_status(status, result);
}

bool is_executable(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

io::Result<CommandResult> run_command(const std::vector<std::string>& argv, std::int64_t timeout_ms) {
  HM_ASSERT(!argv.empty() && !argv[0].empty());
  HM_ASSERT(timeout_ms > 0);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return io::error_from_errno(errno);
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  if (!move_above_stdio(read_end) || !move_above_stdio(write_end)) return io::error_from_errno(errno);

  SpawnAttributes spawn;
  int rc = prepare(spawn, write_end.get());
  if (rc != 0) return io::error_from_errno(rc);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::string lc_all;
  std::vector<char*> env = child_environment(lc_all);

  pid_t pid = 0;
  rc = posix_spawnp(&pid, args[0], &spawn.actions, &spawn.attr, args.data(), env.data());
  if (rc != 0) return io::error_from_errno(rc);
  write_end.reset();  // only the child writes: EOF arrives when it (and its children) close
  const int set = ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);  // our own pipe: cannot fail
  HM_ASSERT(set == 0);

  CommandResult result;
  collect(pid, read_end.get(), timeout_ms, result);
  HM_ASSERT(result.output.size() <= kMaxCommandOutputBytes);
  return result;
}

std::string find_program(const std::string& name) {
  HM_ASSERT(!name.empty() && name.find('/') == std::string::npos);
  const char* path_env = std::getenv("PATH");
  std::string path = path_env != nullptr ? path_env : "";
  for (const char* folder : kSystemFolders) path += std::string(":") + folder;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    std::size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    const std::string folder = path.substr(begin, end - begin);
    if (!folder.empty() && is_executable(folder + "/" + name)) return folder + "/" + name;
    begin = end + 1;
  }
  return {};
}

std::string describe(const CommandResult& result) {
  std::string text;
  if (result.timed_out) {
    text = "timed out";
  } else if (result.term_signal != 0) {
    text = "killed by signal " + std::to_string(result.term_signal);
  } else {
    text = "exit " + std::to_string(result.exit_code);
  }
  const std::size_t end = result.output.find('\n');
  const std::string first_line = result.output.substr(0, end);
  if (!first_line.empty()) text += ": " + first_line;
  return text;
}

}  // namespace hamirror::platform::posix
