// Finding running processes by name on Linux, from /proc.
//
// /proc/<pid>/comm holds the first 15 bytes of the executable's name (TASK_COMM_LEN
// is 16 with the NUL), so "postgres-exporter" shows as "postgres-export". When comm
// is exactly that long and is a prefix of the wanted name, the basename of
// /proc/<pid>/exe decides. Reading exe of another user's process needs privileges
// (the daemon runs as root); when refused, the truncated comm does not match. Zombies
// are left out.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "io/assert.h"
#include "platform/platform.h"

namespace hamirror::platform {
namespace {

constexpr std::size_t kCommMaxChars = 15;
constexpr std::size_t kExePathMaxBytes = 4096;
// A process whose file was replaced or deleted while running (an upgrade) shows its
// exe link with this suffix; it is still the same program.
constexpr std::string_view kDeletedSuffix = " (deleted)";

bool parse_pid(const char* text, std::int64_t* pid) {
  if (*text == '\0') return false;
  std::int64_t value = 0;
  for (const char* c = text; *c != '\0'; ++c) {
    if (*c < '0' || *c > '9') return false;
    value = value * 10 + (*c - '0');
    if (value > (std::int64_t{1} << 31)) return false;  // beyond any pid_max
  }
  *pid = value;
  return true;
}

// Empty when the process has gone (a race every scan of /proc must accept).
std::string read_comm(const std::string& proc_dir) {
  const int fd = ::open((proc_dir + "/comm").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buffer[64];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (n <= 0) return {};
  std::string comm(buffer, static_cast<std::size_t>(n));
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

std::string exe_basename(const std::string& proc_dir) {
  std::string target(kExePathMaxBytes, '\0');
  const ssize_t n = ::readlink((proc_dir + "/exe").c_str(), target.data(), target.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= target.size()) return {};
  target.resize(static_cast<std::size_t>(n));
  if (target.ends_with(kDeletedSuffix)) target.resize(target.size() - kDeletedSuffix.size());
  return target.substr(target.rfind('/') + 1);
}

// A zombie (exited, not yet reaped by its parent) is not running: a database server
// that crashed must not count as up. State is the field after "(comm)" in stat; comm
// may itself contain ')' so the last one counts. A process gone meanwhile is dead too.
bool alive(const std::string& proc_dir) {
  const int fd = ::open((proc_dir + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[512];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  if (n <= 0) return false;
  const std::string_view stat(buffer, static_cast<std::size_t>(n));
  const std::size_t close_paren = stat.rfind(')');
  if (close_paren == std::string_view::npos || close_paren + 2 >= stat.size()) return false;
  const char state = stat[close_paren + 2];
  return state != 'Z' && state != 'X';
}

// The name to report if the process matches, else empty.
std::string match(const std::string& proc_dir, const std::string& name) {
  const std::string comm = read_comm(proc_dir);
  if (comm.empty()) return {};
  std::string reported;
  if (comm == name) {
    reported = comm;
  } else {
    const bool truncated = comm.size() == kCommMaxChars && name.size() > kCommMaxChars && name.starts_with(comm);
    if (truncated && exe_basename(proc_dir) == name) reported = name;
  }
  if (reported.empty() || !alive(proc_dir)) return {};
  return reported;
}

}  // namespace

io::Result<std::vector<io::ProcessInfo>> list_processes_by_name(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos) return io::Error::invalid_argument;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return io::error_from_errno(errno);
  std::vector<io::ProcessInfo> found;
  // readdir ends after the last pid; the loop is bounded by the kernel's pid_max.
  while (const dirent* entry = ::readdir(proc)) {
    std::int64_t pid = 0;
    if (!parse_pid(entry->d_name, &pid)) continue;
    std::string reported = match(std::string("/proc/") + entry->d_name, name);
    if (!reported.empty()) found.push_back(io::ProcessInfo{pid, std::move(reported)});
  }
  ::closedir(proc);
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
  HM_ASSERT(std::adjacent_find(found.begin(), found.end(), [](const auto& a, const auto& b) {
              return a.pid == b.pid;
            }) == found.end());
  return found;
}

}  // namespace hamirror::platform
