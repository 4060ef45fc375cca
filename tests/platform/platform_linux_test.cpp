// The Linux platform functions against this machine: processes from /proc, systemd
// units. (The virtual IP has its own file: it needs a network namespace.)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <filesystem>
#include <string>
#include <vector>

#include "platform/platform.h"

extern char** environ;

namespace hamirror::platform {
namespace {

namespace fs = std::filesystem;

// A child process that is killed and reaped when the test ends, pass or fail.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0) pid_ = -1;
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

bool lists_pid(const io::Result<std::vector<io::ProcessInfo>>& listed, pid_t pid) {
  if (!listed) return false;
  return std::any_of(listed->begin(), listed->end(), [&](const io::ProcessInfo& info) { return info.pid == pid; });
}

bool systemd_running() { return ::access("/run/systemd/system", F_OK) == 0; }

TEST(PlatformLinux, list_processes_by_name_finds_a_child_process) {
  Child sleeper({"sleep", "5"});
  ASSERT_GT(sleeper.pid(), 0) << "cannot start sleep";
  auto listed = list_processes_by_name("sleep");
  ASSERT_TRUE(listed.ok()) << io::error_name(listed.error());
  EXPECT_TRUE(lists_pid(listed, sleeper.pid()));
  for (const auto& info : *listed) EXPECT_EQ(info.name, "sleep");
  EXPECT_TRUE(std::is_sorted(listed->begin(), listed->end(),
                             [](const auto& a, const auto& b) { return a.pid < b.pid; }));
}

TEST(PlatformLinux, list_processes_by_name_matches_names_longer_than_comm_by_their_exe) {
  // comm keeps 15 characters: "hamirror-sleepe" for this copy of sleep.
  const fs::path copy = fs::temp_directory_path() / ("hamirror-sleeper-" + std::to_string(::getpid()));
  fs::copy_file("/bin/sleep", copy, fs::copy_options::overwrite_existing);
  const std::string name = copy.filename().string();
  {
    Child sleeper({copy.string(), "5"});
    ASSERT_GT(sleeper.pid(), 0);
    auto listed = list_processes_by_name(name);
    ASSERT_TRUE(listed.ok());
    EXPECT_TRUE(lists_pid(listed, sleeper.pid()));
    EXPECT_FALSE(lists_pid(list_processes_by_name(name + "x"), sleeper.pid()));
  }
  fs::remove(copy);
}

TEST(PlatformLinux, list_processes_by_name_leaves_out_an_exited_child_not_yet_reaped) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execlp("sleep", "sleep", "0", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait for it to become a zombie (exited, not reaped), bounded.
  bool zombie = false;
  for (int tries = 0; tries < 200 && !zombie; ++tries) {
    siginfo_t info{};
    zombie = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
    if (!zombie) ::usleep(10'000);
  }
  EXPECT_TRUE(zombie);
  EXPECT_FALSE(lists_pid(list_processes_by_name("sleep"), pid));
  int status = 0;
  ::waitpid(pid, &status, 0);
}

TEST(PlatformLinux, list_processes_by_name_returns_nothing_for_an_absent_program) {
  auto listed = list_processes_by_name("hamirror-no-such-program");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  EXPECT_EQ(list_processes_by_name("").error(), io::Error::invalid_argument);
}

// One test for both kinds of machine (with systemd or without, as in a container), so
// that neither kind skips it: each checks the answer its service manager gives.
TEST(PlatformLinux, service_calls_name_a_missing_unit_or_say_that_systemd_is_not_running) {
  std::string detail;
  if (systemd_running()) {
    const auto state = service_query("hamirror-no-such-unit-" + std::to_string(::getpid()) + ".service", &detail);
    EXPECT_EQ(state.error(), io::Error::not_found) << detail;
    EXPECT_EQ(service_start("hamirror-no-such-unit.service", 5000, &detail), io::Error::not_found) << detail;
  } else {
    EXPECT_EQ(service_query("ssh.service", &detail).error(), io::Error::not_supported);
    EXPECT_NE(detail.find("systemd is not running"), std::string::npos) << detail;
    EXPECT_EQ(service_stop("ssh.service", 1000, &detail), io::Error::not_supported);
  }
}

TEST(PlatformLinux, service_names_that_look_like_options_are_refused) {
  std::string detail;
  EXPECT_EQ(service_query("--all", &detail).error(), io::Error::invalid_argument);
  EXPECT_EQ(service_start("", 1000, &detail), io::Error::invalid_argument);
}

TEST(PlatformLinux, vip_calls_refuse_what_is_not_an_ipv4_address_before_touching_anything) {
  std::string detail;
  EXPECT_EQ(vip_add(io::VipSpec{"fd00::99", 64, ""}, &detail), io::Error::invalid_argument);
  EXPECT_NE(detail.find("IPv4"), std::string::npos) << detail;
  EXPECT_EQ(vip_remove(io::VipSpec{"not-an-ip", 24, ""}, &detail), io::Error::invalid_argument);
  EXPECT_EQ(vip_held(io::VipSpec{"10.0.0.1", 33, ""}, &detail).error(), io::Error::invalid_argument);
  EXPECT_EQ(vip_add(io::VipSpec{"10.0.0.1", 24, "-bad"}, &detail), io::Error::invalid_argument);
}

// The kernel's limits for a silent peer are bounded to what network.h promises (and
// the simulator models): without them a secondary that lost power held the primary's
// writes for ~15 minutes of retransmissions.
TEST(PlatformLinux, a_tcp_socket_gives_up_on_a_silent_peer_within_the_bound) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(bound_tcp_silence(static_cast<std::uintptr_t>(fd), 10'000), io::Error::ok);
  unsigned int user_timeout_ms = 0;
  socklen_t length = sizeof user_timeout_ms;
  ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, &length), 0);
  int probe_interval_s = 0;
  length = sizeof probe_interval_s;
  ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &probe_interval_s, &length), 0);
  ::close(fd);
  EXPECT_EQ(user_timeout_ms, 10'000u);
  EXPECT_EQ(probe_interval_s, 1);
  EXPECT_EQ(bound_tcp_silence(static_cast<std::uintptr_t>(fd), 10'000), io::Error::bad_handle) << "a closed descriptor";
}

// Resident memory of this process, KiB (/proc/self/statm, second field, in pages).
long resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

TEST(PlatformLinux, freed_buffers_the_heap_keeps_under_load_are_given_back_by_release_free_memory) {
  prepare_process_for_io();  // the daemon's heap settings: 1 MiB buffers in the heap, kept when freed
  release_free_memory();
  constexpr std::size_t kBlocks = 48;
  constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
  std::vector<std::unique_ptr<char[]>> blocks;
  for (std::size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::make_unique<char[]>(kBlockBytes));
    std::memset(blocks.back().get(), 1, kBlockBytes);  // resident
  }
  const long loaded = resident_kib();
  blocks.clear();
  const long freed = resident_kib();
  release_free_memory();
  const long released = resident_kib();
  EXPECT_GT(freed, loaded - 8 * 1024) << "freed, the buffers stay in the heap for reuse (what the call is for)";
  EXPECT_GT(freed - released, 32 * 1024) << "KiB resident: under load " << loaded << ", freed " << freed << ", released " << released;
}

}  // namespace
}  // namespace hamirror::platform
