// vip_add / vip_held / vip_remove for real, inside a network namespace this test
// creates (hmtest-<pid>) and always deletes. The platform calls run on a thread that
// entered the namespace with setns(CLONE_NEWNET); the `ip` and `arping` programs they
// start inherit it. Nothing here may touch the host's interfaces: every change is made
// from that thread or with `ip -n <namespace>`, and the host is only read.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "platform/platform.h"
#include "platform/posix/run_command.h"
#include "tests/skip_or_fail.h"

namespace hamirror::platform {
namespace {

constexpr std::int64_t kSetupTimeoutMs = 10'000;
// The namespace's own subnet; the host never sees it.
constexpr const char* kOwnAddress = "10.213.0.1/24";
constexpr const char* kVip = "10.213.0.99";

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) HM_SKIP_OR_FAIL_UNDER_CI("needs root to create a network namespace");
    ip_ = posix::find_program("ip");
    if (ip_.empty()) HM_SKIP_OR_FAIL_UNDER_CI("the ip program (iproute2) is not installed");
    name_ = "hmtest-" + std::to_string(::getpid());
    std::string why;
    if (!ip({"netns", "add", name_}, &why)) HM_SKIP_OR_FAIL_UNDER_CI("cannot create a network namespace: " + why);
    created_ = true;
    // A veth pair, both ends inside: unlike a dummy interface it does ARP, so a
    // gratuitous ARP has somewhere to go.
    const bool ready = ip({"-n", name_, "link", "add", "hm0", "type", "veth", "peer", "name", "hm1"}, &why) &&
                       ip({"-n", name_, "addr", "add", kOwnAddress, "dev", "hm0"}, &why) &&
                       ip({"-n", name_, "link", "set", "hm0", "up"}, &why) &&
                       ip({"-n", name_, "link", "set", "hm1", "up"}, &why);
    ASSERT_TRUE(ready) << why;
  }

  void TearDown() override {
    if (!created_) return;
    std::string why;
    EXPECT_TRUE(ip({"netns", "del", name_}, &why)) << "namespace " << name_ << " left behind: " << why;
  }

  // Runs fn on a new thread inside the namespace; false (and nothing run) if the
  // thread could not enter it.
  bool inside(const std::function<void()>& fn) {
    bool entered = false;
    std::thread worker([&] {
      const int fd = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return;
      entered = ::setns(fd, CLONE_NEWNET) == 0;
      ::close(fd);
      if (entered) fn();
    });
    worker.join();
    return entered;
  }

  bool ip(std::vector<std::string> args, std::string* why) {
    args.insert(args.begin(), ip_);
    auto run = posix::run_command(args, kSetupTimeoutMs);
    if (!run) {
      *why = std::string(io::error_name(run.error()));
      return false;
    }
    *why = posix::describe(*run);
    return run->exit_code == 0 && !run->timed_out;
  }

  std::string ip_;
  std::string name_;
  bool created_ = false;
};

TEST_F(NetnsTest, vip_add_check_remove_in_the_subnet_interface_and_idempotently) {
  const io::VipSpec vip{kVip, 24, ""};
  const bool entered = inside([&] {
    std::string detail;
    auto held = vip_held(vip, &detail);
    ASSERT_TRUE(held.ok()) << detail;
    EXPECT_FALSE(*held);

    ASSERT_EQ(vip_add(vip, &detail), io::Error::ok) << detail;
    EXPECT_NE(detail.find("on hm0"), std::string::npos) << detail;
    const bool announced = detail.find("gratuitous ARP started") != std::string::npos ||
                           detail.find("arping is not installed") != std::string::npos;
    EXPECT_TRUE(announced) << detail;
    EXPECT_TRUE(vip_held(vip, &detail).value());
    EXPECT_TRUE(vip_held(io::VipSpec{kVip, 24, "hm0"}, &detail).value());
    EXPECT_FALSE(vip_held(io::VipSpec{kVip, 24, "hm1"}, &detail).value());
    EXPECT_EQ(vip_add(vip, &detail), io::Error::ok) << detail;  // idempotent

    EXPECT_EQ(vip_remove(vip, &detail), io::Error::ok) << detail;
    EXPECT_FALSE(vip_held(vip, &detail).value());
    EXPECT_EQ(vip_remove(vip, &detail), io::Error::ok) << detail;  // idempotent
  });
  ASSERT_TRUE(entered) << "could not enter " << name_;
}

TEST_F(NetnsTest, the_host_never_sees_the_namespace_vip) {
  const io::VipSpec vip{kVip, 24, ""};
  std::string detail;
  ASSERT_TRUE(inside([&] { ASSERT_EQ(vip_add(vip, &detail), io::Error::ok) << detail; }));
  auto on_host = vip_held(vip, &detail);  // read-only, in the host's namespace
  ASSERT_TRUE(on_host.ok()) << detail;
  EXPECT_FALSE(*on_host);
  EXPECT_TRUE(inside([&] { EXPECT_TRUE(vip_held(vip, &detail).value()); }));
}

TEST_F(NetnsTest, vip_add_on_a_named_interface_outside_its_subnet) {
  const io::VipSpec vip{"10.213.7.5", 32, "hm1"};
  ASSERT_TRUE(inside([&] {
    std::string detail;
    ASSERT_EQ(vip_add(vip, &detail), io::Error::ok) << detail;
    EXPECT_TRUE(vip_held(vip, &detail).value());
    EXPECT_FALSE(vip_held(io::VipSpec{"10.213.7.5", 32, "hm0"}, &detail).value());
    EXPECT_EQ(vip_remove(io::VipSpec{"10.213.7.5", 32, ""}, &detail), io::Error::ok) << detail;
    EXPECT_FALSE(vip_held(vip, &detail).value());
  }));
}

TEST_F(NetnsTest, vip_add_without_an_interface_in_the_subnet_or_on_a_missing_one_is_not_found) {
  ASSERT_TRUE(inside([&] {
    std::string detail;
    EXPECT_EQ(vip_add(io::VipSpec{"10.214.0.5", 24, ""}, &detail), io::Error::not_found);
    EXPECT_NE(detail.find("no interface"), std::string::npos) << detail;
    EXPECT_EQ(vip_add(io::VipSpec{"10.213.0.98", 24, "hm-missing"}, &detail), io::Error::not_found) << detail;
    EXPECT_FALSE(vip_held(io::VipSpec{"10.214.0.5", 24, ""}, &detail).value());
  }));
}

// A stand-in for arping, first in PATH: it records its arguments and network namespace,
// then waits for the test to release it (at most 10 s, so it never outlives a failed
// test for long) and exits with `exit_code`. Removed, and PATH restored, at the end of
// the test.
class FakeArping {
 public:
  explicit FakeArping(int exit_code = 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "hm-arping-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return;
    dir_ = pattern;
    const std::string script = dir_ + "/arping";
    std::ofstream(script) << "#!/bin/sh\n"
                          << "echo \"$*\" > " << dir_ << "/args\n"
                          << "readlink /proc/self/ns/net > " << dir_ << "/netns\n"
                          << "touch " << dir_ << "/started\n"
                          << "end=$(($(date +%s) + 10))\n"
                          << "while [ ! -e " << dir_ << "/release ] && [ $(date +%s) -lt $end ]; do sleep 0.05; done\n"
                          << "touch " << dir_ << "/finished\n"
                          << "if [ " << exit_code << " -ne 0 ]; then echo 'arping: sendto: Network is down'; fi\n"
                          << "exit " << exit_code << "\n";
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    const char* path = std::getenv("PATH");
    old_path_ = path != nullptr ? path : "";
    ::setenv("PATH", (dir_ + ":" + old_path_).c_str(), 1);
  }
  ~FakeArping() {
    if (dir_.empty()) return;
    ::setenv("PATH", old_path_.c_str(), 1);
    release();
    if (has("started")) wait_for("finished");  // it must not write into a removed folder
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  FakeArping(const FakeArping&) = delete;
  FakeArping& operator=(const FakeArping&) = delete;

  bool ready() const { return !dir_.empty(); }
  bool has(const std::string& file) const { return std::filesystem::exists(dir_ + "/" + file); }
  std::string read(const std::string& file) const {
    std::stringstream text;
    text << std::ifstream(dir_ + "/" + file).rdbuf();
    return text.str();
  }
  void release() const { std::ofstream(dir_ + "/release").put('\n'); }
  bool wait_for(const std::string& file) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!has(file)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  std::string dir_;
  std::string old_path_;
};

// Collects what an announcement reports through vip_add's AnnouncementFn, which runs
// on the announcement's own thread.
class AnnouncementLog {
 public:
  AnnouncementFn callback() {
    return [this](io::Severity severity, const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_ += std::string(io::severity_name(severity)) + " " + line + "\n";
      reported_.notify_all();
    };
  }
  // True once a line containing `text` was reported, false after 10 s without one.
  bool wait_for(const std::string& text) {
    std::unique_lock lock(mutex_);
    return reported_.wait_for(lock, std::chrono::seconds(10), [&] { return lines_.find(text) != std::string::npos; });
  }
  std::string contents() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable reported_;
  std::string lines_;
};

TEST_F(NetnsTest, vip_add_completes_while_the_gratuitous_arp_is_still_being_sent) {
  FakeArping arping;
  ASSERT_TRUE(arping.ready()) << "cannot create a temporary folder for a fake arping";
  AnnouncementLog log;
  const io::VipSpec vip{kVip, 24, ""};
  std::string namespace_id;
  ASSERT_TRUE(inside([&] {
    std::string detail;
    ASSERT_EQ(vip_add(vip, &detail, log.callback()), io::Error::ok) << detail;
    // The add came back although arping cannot have finished: it waits for release().
    EXPECT_FALSE(arping.has("finished"));
    EXPECT_NE(detail.find("gratuitous ARP started on hm0"), std::string::npos) << detail;
    EXPECT_TRUE(vip_held(vip, &detail).value());
    char link[64] = {};
    ASSERT_GT(::readlink("/proc/thread-self/ns/net", link, sizeof link - 1), 0);
    namespace_id = link;
  }));
  ASSERT_TRUE(arping.wait_for("started")) << "the announcement was never started";
  EXPECT_FALSE(arping.has("finished"));
  EXPECT_EQ(arping.read("args"), "-U -c 3 -i 1 -I hm0 " + std::string(kVip) + "\n");
  EXPECT_EQ(arping.read("netns"), namespace_id + "\n") << "arping ran outside the VIP's network namespace";
  EXPECT_EQ(log.contents(), "") << "nothing is reported before arping exits";
  arping.release();
  EXPECT_TRUE(arping.wait_for("finished"));
  EXPECT_TRUE(log.wait_for("INFO gratuitous ARP for " + std::string(kVip) + " on hm0 sent (3 announcements)"))
      << log.contents();
}

TEST_F(NetnsTest, a_failed_gratuitous_arp_is_reported_as_a_warning_and_the_vip_stays_added) {
  FakeArping arping(2);
  ASSERT_TRUE(arping.ready()) << "cannot create a temporary folder for a fake arping";
  AnnouncementLog log;
  const io::VipSpec vip{kVip, 24, ""};
  ASSERT_TRUE(inside([&] {
    std::string detail;
    ASSERT_EQ(vip_add(vip, &detail, log.callback()), io::Error::ok) << detail;
    arping.release();
  }));
  const std::string warning = "WARN gratuitous ARP for " + std::string(kVip) +
                              " on hm0 failed: arping exit 2: arping: sendto: Network is down";
  EXPECT_TRUE(log.wait_for(warning)) << "no warning in: " << log.contents();
  EXPECT_TRUE(inside([&] {
    std::string detail;
    EXPECT_TRUE(vip_held(vip, &detail).value()) << detail;
  }));
}

}  // namespace
}  // namespace hamirror::platform
