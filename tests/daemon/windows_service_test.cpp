// hamirrord as a Windows service, through the Service Control Manager (Wine's under
// tools/wine-ctest.sh): install / uninstall with their errors, the `service` verb
// started from a console, and a full cycle: sc start → RUNNING with the node up,
// sc stop → the node's clean stop → STOPPED with exit code 0; a service that cannot
// start says why in its module log and the Event Log (source "hamirrord"), which install
// registers.
#include <gtest/gtest.h>
#include <winsock2.h>
#include <windows.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "daemon/windows_service.h"
#include "tests/daemon/free_port.h"

namespace {

namespace fs = std::filesystem;
using hamirror::test::free_tcp_port;
using hamirror::test::free_udp_port;

constexpr int kDeadlineMs = 15'000;
constexpr int kPollMs = 50;
constexpr DWORD kProcessDeadlineMs = 30'000;
constexpr int kExitServiceManager = 4;

struct Result {
  DWORD exit_code = 0;
  std::string output;  // stdout and stderr
};

// Runs hamirrord.exe with `arguments`, its output captured. The build's path is a Linux
// path: Windows reads "/work/..." as rooted on the current drive, which is Wine's Z:.
Result hamirrord(const std::string& arguments) {
  SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE read_end = nullptr;
  HANDLE write_end = nullptr;
  EXPECT_TRUE(::CreatePipe(&read_end, &write_end, &inherit, 0));
  ::SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);
  STARTUPINFOA startup{};
  startup.cb = sizeof startup;
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = ::GetStdHandle(STD_INPUT_HANDLE);
  startup.hStdOutput = write_end;
  startup.hStdError = write_end;
  std::string command_line = "\"" + fs::path(HAMIRRORD_PATH).make_preferred().string() + "\" " + arguments;
  PROCESS_INFORMATION process{};
  const bool started = ::CreateProcessA(nullptr, command_line.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &startup, &process);
  ::CloseHandle(write_end);
  Result result{~DWORD{0}, {}};
  if (!started) {
    ADD_FAILURE() << "cannot start " << command_line << ": error " << ::GetLastError();
    ::CloseHandle(read_end);
    return result;
  }
  char buffer[4096];
  DWORD got = 0;
  while (::ReadFile(read_end, buffer, sizeof buffer, &got, nullptr) && got > 0) result.output.append(buffer, got);
  EXPECT_EQ(::WaitForSingleObject(process.hProcess, kProcessDeadlineMs), WAIT_OBJECT_0) << command_line;
  ::GetExitCodeProcess(process.hProcess, &result.exit_code);
  ::CloseHandle(process.hProcess);
  ::CloseHandle(process.hThread);
  ::CloseHandle(read_end);
  return result;
}

bool eventually(const std::function<bool()>& done) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDeadlineMs);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  return done();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One uniquely named service and a one-node configuration in a scratch directory; the
// service is stopped and deleted, and the directory removed, even when a test fails.
class WindowsService : public ::testing::Test {
 protected:
  WindowsService() {
    // Unique per process and run (mingw's std::random_device repeats across runs).
    const std::string suffix = std::to_string(::GetCurrentProcessId()) + "-" + std::to_string(::GetTickCount64());
    name_ = "hamirror-test-" + suffix;
    dir_ = fs::temp_directory_path() / ("hamirror-service-" + suffix);
    fs::create_directories(dir_ / "mirror" / "conf");
    std::ofstream(module_file()) << "<safe>\n<service mode=\"mirror\" defaultprim=\"alone\" failover=\"on\">\n"
                                 << "  <heart pulse=\"100\" timeout=\"1000\"><heartbeat name=\"default\" ident=\"flow\"/></heart>\n"
                                 << "  <rfs async=\"none\"><replicated dir=\"" << (dir_ / "replicated").string()
                                 << "\" mode=\"read_only\"/></rfs>\n"
                                 << "  <user nicestoptimeout=\"20\" forcestoptimeout=\"10\"/>\n</service></safe>\n";
    console_port_ = free_tcp_port();
    std::ofstream(node_file()) << "[node]\nname = \"node1\"\nstate_dir = '" << (dir_ / "state").string() << "'\nlog_dir = '"
                               << (dir_ / "log").string() << "'\ninsecure = true\nconsole_port = " << console_port_
                               << "\nreplication_port = " << free_tcp_port() << "\nheartbeat_port = " << free_udp_port()
                               << "\n[peer]\nname = \"node2\"\nreplication_port = " << free_tcp_port()
                               << "\nheartbeat_port = " << free_udp_port()
                               << "\n[networks.default]\nnode = \"127.0.0.1\"\npeer = \"127.0.0.1\"\n";
  }

  ~WindowsService() override {
    if (SC_HANDLE manager = ::OpenSCManagerA(nullptr, nullptr, SC_MANAGER_CONNECT)) {
      if (SC_HANDLE service = ::OpenServiceA(manager, name_.c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE)) {
        SERVICE_STATUS status{};
        ::ControlService(service, SERVICE_CONTROL_STOP, &status);
        eventually([&] { return ::QueryServiceStatus(service, &status) && status.dwCurrentState == SERVICE_STOPPED; });
        ::DeleteService(service);
        ::CloseServiceHandle(service);
      }
      ::CloseServiceHandle(manager);
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string node_file() const { return (dir_ / "node1.toml").string(); }
  std::string module_file() const { return (dir_ / "mirror" / "conf" / "userconfig.xml").string(); }
  std::string files() const { return " --node \"" + node_file() + "\" --module \"" + module_file() + "\""; }

  // install, skipping the test where this account may not register services.
  Result install(const std::string& options) {
    Result installed = hamirrord("install --service-name " + name_ + files() + options);
    if (installed.output.find("elevated prompt") != std::string::npos) {
      skipped_ = true;
      EXPECT_EQ(installed.exit_code, static_cast<DWORD>(kExitServiceManager));
    }
    return installed;
  }

  // The service's current status and configuration through the SCM.
  SERVICE_STATUS status() const { return with_service([](SC_HANDLE service, SERVICE_STATUS& status) { ::QueryServiceStatus(service, &status); }); }
  DWORD start_type() const {
    DWORD start_type = ~DWORD{0};
    with_service([&](SC_HANDLE service, SERVICE_STATUS&) {
      DWORD needed = 0;
      ::QueryServiceConfigA(service, nullptr, 0, &needed);
      std::string buffer(needed, '\0');
      auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGA*>(buffer.data());
      if (::QueryServiceConfigA(service, config, needed, &needed)) {
        start_type = config->dwStartType;
        binary_path_ = config->lpBinaryPathName;
      }
    });
    return start_type;
  }
  // SERVICE_CONFIG_PRESHUTDOWN_INFO's timeout; ~0 when it cannot be read.
  DWORD preshutdown_timeout_ms() const {
    DWORD timeout = ~DWORD{0};
    with_service([&](SC_HANDLE service, SERVICE_STATUS&) {
      SERVICE_PRESHUTDOWN_INFO info{};
      DWORD needed = 0;
      if (::QueryServiceConfig2W(service, SERVICE_CONFIG_PRESHUTDOWN_INFO, reinterpret_cast<BYTE*>(&info), sizeof info,
                                 &needed)) {
        timeout = info.dwPreshutdownTimeout;
      }
    });
    return timeout;
  }
  bool registered() const {
    bool found = false;
    with_service([&](SC_HANDLE, SERVICE_STATUS&) { found = true; });
    return found;
  }

  SERVICE_STATUS with_service(const std::function<void(SC_HANDLE, SERVICE_STATUS&)>& use) const {
    SERVICE_STATUS status{};
    SC_HANDLE manager = ::OpenSCManagerA(nullptr, nullptr, SC_MANAGER_CONNECT);
    if (manager == nullptr) return status;
    if (SC_HANDLE service = ::OpenServiceA(manager, name_.c_str(), SERVICE_ALL_ACCESS)) {
      use(service, status);
      ::CloseServiceHandle(service);
    }
    ::CloseServiceHandle(manager);
    return status;
  }

  std::string name_;
  fs::path dir_;
  std::uint16_t console_port_ = 0;
  bool skipped_ = false;
  mutable std::string binary_path_;
};

TEST_F(WindowsService, the_service_verb_started_from_a_console_says_the_service_manager_must_start_it) {
  const Result result = hamirrord("service --service-name " + name_ + files());
  EXPECT_EQ(result.exit_code, static_cast<DWORD>(kExitServiceManager));
  EXPECT_NE(result.output.find("must be started by the service manager"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir_ / "log")) << "the node must not run outside the service manager";
}

TEST_F(WindowsService, install_registers_a_manual_service_running_hamirrord_service_with_absolute_paths) {
  const Result installed = install("");
  if (skipped_) GTEST_SKIP() << "this account may not register services: " << installed.output;
  ASSERT_EQ(installed.exit_code, 0u) << installed.output;
  EXPECT_EQ(start_type(), static_cast<DWORD>(SERVICE_DEMAND_START));
  // userconfig.xml's stop_prim timeouts, 20 s + 10 s, plus the 30 s margin.
  EXPECT_EQ(preshutdown_timeout_ms(), 60'000u);
  EXPECT_NE(binary_path_.find("hamirrord.exe\" service --service-name \"" + name_ + "\" --node \"" + node_file() + "\""),
            std::string::npos)
      << binary_path_;

  const Result again = install("");
  EXPECT_EQ(again.exit_code, static_cast<DWORD>(kExitServiceManager));
  EXPECT_NE(again.output.find("is already registered: remove it first with `hamirrord uninstall`"), std::string::npos)
      << again.output;

  const Result removed = hamirrord("uninstall --service-name " + name_);
  EXPECT_EQ(removed.exit_code, 0u) << removed.output;
  EXPECT_TRUE(eventually([&] { return !registered(); }));
  const Result nothing = hamirrord("uninstall --service-name " + name_);
  EXPECT_EQ(nothing.exit_code, static_cast<DWORD>(kExitServiceManager));
  EXPECT_NE(nothing.output.find("is registered: nothing to remove"), std::string::npos) << nothing.output;
}

TEST_F(WindowsService, install_with_auto_start_starts_with_windows) {
  const Result installed = install(" --auto-start");
  if (skipped_) GTEST_SKIP() << "this account may not register services: " << installed.output;
  ASSERT_EQ(installed.exit_code, 0u) << installed.output;
  EXPECT_EQ(start_type(), static_cast<DWORD>(SERVICE_AUTO_START));
}

TEST_F(WindowsService, install_refuses_a_node_file_that_does_not_exist) {
  fs::remove(node_file());
  const Result installed = install("");
  if (skipped_) GTEST_SKIP() << "this account may not register services: " << installed.output;
  EXPECT_EQ(installed.exit_code, static_cast<DWORD>(kExitServiceManager));
  EXPECT_NE(installed.output.find("node1.toml does not exist: write it first"), std::string::npos) << installed.output;
  EXPECT_FALSE(registered());
}

TEST_F(WindowsService, sc_start_runs_the_node_and_sc_stop_stops_it_cleanly_with_exit_code_0) {
  const Result installed = install("");
  if (skipped_) GTEST_SKIP() << "this account may not register services: " << installed.output;
  ASSERT_EQ(installed.exit_code, 0u) << installed.output;
  with_service([](SC_HANDLE service, SERVICE_STATUS&) { EXPECT_TRUE(::StartServiceA(service, 0, nullptr)) << ::GetLastError(); });
  const fs::path module_log = dir_ / "log" / "module.log";
  ASSERT_TRUE(eventually([&] { return status().dwCurrentState == SERVICE_RUNNING; })) << read_file(module_log);
  EXPECT_EQ(status().dwControlsAccepted,
            static_cast<DWORD>(SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN));
  EXPECT_NE(read_file(module_log).find("hamirrord started: node node1"), std::string::npos) << read_file(module_log);
  // Built without the WinFsp SDK (as in CI): the admin is told the directory is not captured.
  EXPECT_NE(read_file(module_log).find("replicated directories (" + (dir_ / "replicated").string() + ") are NOT captured"),
            std::string::npos)
      << read_file(module_log);

  with_service([](SC_HANDLE service, SERVICE_STATUS& status) {
    EXPECT_TRUE(::ControlService(service, SERVICE_CONTROL_STOP, &status)) << ::GetLastError();
  });
  ASSERT_TRUE(eventually([&] { return status().dwCurrentState == SERVICE_STOPPED; })) << read_file(module_log);
  EXPECT_EQ(status().dwWin32ExitCode, static_cast<DWORD>(NO_ERROR));
  const std::string log = read_file(module_log);
  EXPECT_NE(log.find("the service manager's stop received: stopping the node"), std::string::npos) << log;
  EXPECT_NE(log.find("hamirrord stopped"), std::string::npos) << log;
}

TEST_F(WindowsService, a_service_with_a_broken_configuration_stops_with_hamirrords_exit_code_2) {
  std::ofstream(node_file()) << "[node]\nname = \"node1\"\n";  // no state_dir, log_dir, peer
  const Result installed = install("");
  if (skipped_) GTEST_SKIP() << "this account may not register services: " << installed.output;
  ASSERT_EQ(installed.exit_code, 0u) << installed.output;
  with_service([](SC_HANDLE service, SERVICE_STATUS&) { EXPECT_TRUE(::StartServiceA(service, 0, nullptr)) << ::GetLastError(); });
  ASSERT_TRUE(eventually([&] {
    const SERVICE_STATUS now = status();
    return now.dwCurrentState == SERVICE_STOPPED && now.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR;
  }));
  EXPECT_EQ(status().dwServiceSpecificExitCode, 2u);
}

// A TCP listener on 127.0.0.1:port for the test's lifetime (the port "in use").
class Listener {
 public:
  explicit Listener(std::uint16_t port) {
    WSADATA data{};
    ::WSAStartup(MAKEWORD(2, 2), &data);
    socket_ = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = ::htons(port);
    address.sin_addr.s_addr = ::htonl(INADDR_LOOPBACK);
    listening_ = socket_ != INVALID_SOCKET &&
                 ::bind(socket_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 && ::listen(socket_, 1) == 0;
  }
  ~Listener() {
    if (socket_ != INVALID_SOCKET) ::closesocket(socket_);
    ::WSACleanup();
  }
  bool listening() const { return listening_; }

 private:
  SOCKET socket_ = INVALID_SOCKET;
  bool listening_ = false;
};

TEST_F(WindowsService, a_service_whose_port_is_in_use_stops_with_exit_code_3_and_says_why_in_its_module_log) {
  Listener taken(console_port_);
  ASSERT_TRUE(taken.listening()) << "cannot listen on 127.0.0.1:" << console_port_;
  const Result installed = install("");
  if (skipped_) GTEST_SKIP() << "this account may not register services: " << installed.output;
  ASSERT_EQ(installed.exit_code, 0u) << installed.output;
  with_service([](SC_HANDLE service, SERVICE_STATUS&) { EXPECT_TRUE(::StartServiceA(service, 0, nullptr)) << ::GetLastError(); });
  const fs::path module_log = dir_ / "log" / "module.log";
  ASSERT_TRUE(eventually([&] {
    const SERVICE_STATUS now = status();
    return now.dwCurrentState == SERVICE_STOPPED && now.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR;
  })) << read_file(module_log);
  EXPECT_EQ(status().dwServiceSpecificExitCode, 3u);
  const std::string log = read_file(module_log);
  EXPECT_NE(log.find("hamirrord cannot start:"), std::string::npos) << log;
  EXPECT_NE(log.find(std::to_string(console_port_)), std::string::npos) << "the log should name the port:\n" << log;
}

TEST_F(WindowsService, install_registers_hamirrord_as_an_event_log_source_with_its_message_table) {
  const Result installed = install("");
  if (skipped_) GTEST_SKIP() << "this account may not register services: " << installed.output;
  ASSERT_EQ(installed.exit_code, 0u) << installed.output;
  char value[4096] = {};
  DWORD size = sizeof value;
  ASSERT_EQ(::RegGetValueA(HKEY_LOCAL_MACHINE, "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\hamirrord",
                           "EventMessageFile", RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, nullptr, value, &size),
            ERROR_SUCCESS);
  EXPECT_NE(std::string(value).find("hamirrord.exe"), std::string::npos) << value;
}

// What can be checked without a real Event Log: the source opens and the event is
// accepted (Wine traces it on its eventlog channel; Event Viewer on Windows Server).
TEST(WindowsEventLog, accepts_an_error_event_from_the_hamirrord_source) {
  EXPECT_TRUE(hamirror::daemon::write_event_log(hamirror::daemon::EventKind::error,
                                                "daemon_windows_service_test: a test event (not a real failure)"));
}

}  // namespace
