// The Windows platform functions against the machine (or Wine) they run on.
#include <windows.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "platform/platform.h"

namespace hamirror::platform {
namespace {

// This test's own executable name ("platform_test.exe"), as UTF-8.
std::string own_executable_name() {
  wchar_t path[MAX_PATH] = {};
  const DWORD length = ::GetModuleFileNameW(nullptr, path, MAX_PATH);
  if (length == 0 || length >= MAX_PATH) return {};
  std::wstring full(path, length);
  const std::wstring name = full.substr(full.find_last_of(L"\\/") + 1);
  char utf8[MAX_PATH * 4] = {};
  const int written = ::WideCharToMultiByte(CP_UTF8, 0, name.c_str(), -1, utf8, sizeof utf8, nullptr, nullptr);
  return written > 0 ? std::string(utf8) : std::string();
}

bool lists_self(const std::string& name) {
  auto listed = list_processes_by_name(name);
  if (!listed.ok()) return false;
  const auto self = static_cast<std::int64_t>(::GetCurrentProcessId());
  return std::any_of(listed->begin(), listed->end(), [&](const io::ProcessInfo& info) { return info.pid == self; });
}

TEST(PlatformWin, list_processes_by_name_finds_this_test_without_case_and_with_optional_exe) {
  const std::string exe = own_executable_name();
  ASSERT_FALSE(exe.empty());
  ASSERT_GT(exe.size(), 4u);
  EXPECT_TRUE(lists_self(exe)) << exe;
  std::string upper = exe;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  EXPECT_TRUE(lists_self(upper)) << upper;
  EXPECT_TRUE(lists_self(exe.substr(0, exe.size() - 4))) << "without .exe";
  EXPECT_FALSE(lists_self(exe + "x"));
}

TEST(PlatformWin, list_processes_by_name_returns_nothing_for_an_absent_program) {
  auto listed = list_processes_by_name("hamirror-no-such-program.exe");
  ASSERT_TRUE(listed.ok()) << io::error_name(listed.error());
  EXPECT_TRUE(listed->empty());
}

TEST(PlatformWin, service_query_of_a_service_that_does_not_exist_is_not_found) {
  std::string detail;
  EXPECT_EQ(service_query("hamirror-no-such-service", &detail).error(), io::Error::not_found) << detail;
  EXPECT_EQ(service_start("hamirror-no-such-service", 1000, &detail), io::Error::not_found) << detail;
  EXPECT_EQ(service_stop("hamirror-no-such-service", 1000, &detail), io::Error::not_found) << detail;
}

TEST(PlatformWin, vip_held_reads_the_address_table_without_changing_it) {
  std::string detail;
  // 192.0.2.0/24 is TEST-NET-1: never configured on a real network.
  auto held = vip_held(io::VipSpec{"192.0.2.213", 24, ""}, &detail);
  ASSERT_TRUE(held.ok()) << detail;
  EXPECT_FALSE(*held);
  EXPECT_EQ(vip_held(io::VipSpec{"fd00::1", 64, ""}, &detail).error(), io::Error::invalid_argument);
}

TEST(PlatformWin, vip_add_and_remove) {
  // Adding an address changes the machine's real interfaces: never from a test on a
  // Windows host. Under Wine it could not work anyway.
  GTEST_SKIP() << "Wine's AddIPAddress is a stub (ERROR_NOT_SUPPORTED), and on a real Windows host this test "
                  "would change the host's interfaces; VIP moves are tested on Linux in a private namespace";
}

}  // namespace
}  // namespace hamirror::platform
