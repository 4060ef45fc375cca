// The virtual IP on Linux: `ip addr add|del` and a gratuitous ARP (`arping -U`).
//
// The add reports success as soon as the address is on the interface: the announcement
// runs on a thread of its own, because arping returns only ~1 s after sending (RTO:
// start_prim waits for the add). The announcement's result goes to the caller's
// AnnouncementFn (the daemon: its module log) when arping exits.
//
// Only IPv4: the VIP is announced with ARP, and the Windows side (AddIPAddress) is
// IPv4-only too. Everything runs in the calling thread's network namespace, which the
// helper programs inherit; tests rely on that to stay inside a namespace of their own.
//
// The usual VIP lives in a subnet the interface already has, so the kernel files it as
// a secondary address and deleting it touches nothing else. (Deleting a *primary*
// address also deletes its secondaries unless net.ipv4.conf.IF.promote_secondaries is
// set; a VIP is never added before the interface's own address, so it is not primary.)
#include <atomic>
#include <cstdio>
#include <string>
#include <system_error>
#include <thread>

#include "io/assert.h"
#include "platform/platform.h"
#include "platform/posix/ip_addr.h"
#include "platform/posix/run_command.h"

namespace hamirror::platform {
namespace {

using posix::CommandResult;
using posix::InterfaceAddress;

constexpr std::int64_t kIpChangeTimeoutMs = 10'000;
// Several announcements, since one unsolicited ARP can be lost. iputils arping takes
// its interval in whole seconds; it sends the first at once and exits ~1 s after the
// last (3 s in all). A remove does not stop them: if the VIP moves on meanwhile, the
// new holder's announcements (same count and interval, started later) end later and
// win.
constexpr const char* kAnnouncementCount = "3";
constexpr const char* kAnnouncementIntervalS = "1";
constexpr std::int64_t kArpingTimeoutMs = 10'000;
// Announcements running at once. Each ends within kArpingTimeoutMs; more than this
// means adds repeat faster than arping finishes, and the ones running already tell the
// LAN where the address is.
constexpr int kAnnouncementsRunningMax = 4;
// Process-wide because the announcement threads outlive the add that started them.
std::atomic<int> announcements_running{0};
constexpr std::size_t kInterfaceNameMaxChars = 15;  // IFNAMSIZ - 1

void append_detail(std::string* detail, const std::string& text) {
  if (detail == nullptr) return;
  if (!detail->empty()) *detail += "; ";
  *detail += text;
}

struct Request {
  std::string ip_program;
  std::uint32_t address = 0;
  std::string text;  // "10.0.0.5/24"
};

io::Error prepare(const io::VipSpec& vip, Request* request, std::string* detail) {
  if (detail != nullptr) detail->clear();
  const auto address = posix::parse_ipv4(vip.address);
  if (!address) {
    append_detail(detail, "not an IPv4 address: '" + vip.address + "' (only IPv4 virtual IPs are supported)");
    return io::Error::invalid_argument;
  }
  if (vip.prefix_length < 1 || vip.prefix_length > 32) {
    append_detail(detail, "prefix length must be 1..32, not " + std::to_string(vip.prefix_length));
    return io::Error::invalid_argument;
  }
  const bool bad_name = vip.interface_name.size() > kInterfaceNameMaxChars || vip.interface_name.starts_with('-') ||
                        vip.interface_name.find_first_of(" /\t\n") != std::string::npos;
  if (bad_name) {
    append_detail(detail, "not an interface name: '" + vip.interface_name + "'");
    return io::Error::invalid_argument;
  }
  request->ip_program = posix::find_program("ip");
  if (request->ip_program.empty()) {
    append_detail(detail, "the ip program (iproute2) is not installed");
    return io::Error::not_supported;
  }
  request->address = *address;
  request->text = vip.address + "/" + std::to_string(vip.prefix_length);
  return io::Error::ok;
}

io::Error error_from_ip(const CommandResult& result) {
  if (result.timed_out) return io::Error::timed_out;
  const std::string& out = result.output;
  if (out.find("Operation not permitted") != std::string::npos) return io::Error::permission_denied;
  if (out.find("Cannot find device") != std::string::npos) return io::Error::not_found;
  if (out.find("File exists") != std::string::npos) return io::Error::already_exists;
  if (out.find("Cannot assign requested address") != std::string::npos) return io::Error::address_unavailable;
  return io::Error::unknown;
}

// Runs `ip ...`; ok when it exited 0 or failed with `tolerated` (the state already
// is the wanted one: another actor won a race).
io::Error run_ip(const Request& request, std::vector<std::string> args, io::Error tolerated, std::string* detail) {
  args.insert(args.begin(), request.ip_program);
  auto run = posix::run_command(args, kIpChangeTimeoutMs);
  if (!run) {
    append_detail(detail, "cannot run " + request.ip_program + ": " + std::string(io::error_name(run.error())));
    return run.error();
  }
  if (run->exit_code == 0 && run->term_signal == 0 && !run->timed_out) return io::Error::ok;
  const io::Error error = error_from_ip(*run);
  if (error == tolerated) return io::Error::ok;
  std::string command = "ip";
  for (std::size_t i = 1; i < args.size(); ++i) command += " " + args[i];
  append_detail(detail, command + ": " + posix::describe(*run));
  return error;
}

// The interface for an add: the one named, else the one already holding the address,
// else the first (in the kernel's order) holding an address in the VIP's subnet.
std::string choose_interface(const io::VipSpec& vip, const Request& request,
                             const std::vector<InterfaceAddress>& addresses) {
  if (!vip.interface_name.empty()) return vip.interface_name;
  for (const auto& entry : addresses) {
    if (entry.address == request.address) return entry.interface;
  }
  for (const auto& entry : addresses) {
    if (posix::same_subnet(entry.address, request.address, vip.prefix_length)) return entry.interface;
  }
  return {};
}

// Runs on the announcement's own thread, which inherited the adding thread's network
// namespace (tests rely on that, as on the add's).
void announce_and_log(const std::string& arping, const std::string& vip_address, const std::string& interface,
                      const AnnouncementFn& announced) {
  auto log_line = [&announced](io::Severity severity, const std::string& text) {
    if (announced) return announced(severity, text);
    std::fprintf(stderr, "hamirrord: %s: %s\n", std::string(io::severity_name(severity)).c_str(), text.c_str());
  };
  auto run = posix::run_command(
      {arping, "-U", "-c", kAnnouncementCount, "-i", kAnnouncementIntervalS, "-I", interface, vip_address},
      kArpingTimeoutMs);
  const std::string what = "gratuitous ARP for " + vip_address + " on " + interface;
  if (!run) {
    log_line(io::Severity::warn, what + " not sent: cannot run " + arping + ": " + std::string(io::error_name(run.error())) +
             "; neighbours keep the old MAC until their ARP cache expires");
  } else if (run->exit_code != 0 || run->timed_out || run->term_signal != 0) {
    log_line(io::Severity::warn, what + " failed: arping " + posix::describe(*run) +
             "; neighbours keep the old MAC until their ARP cache expires");
  } else {
    log_line(io::Severity::info, what + " sent (" + kAnnouncementCount + " announcements)");
  }
  announcements_running.fetch_sub(1);
}

// Tells the LAN's switches and neighbours the address moved here, in the background.
// Never fails the add: the address answers already; without the announcement
// neighbours keep the old MAC until their ARP entry expires (~25 s measured).
void start_announcement(const std::string& vip_address, const std::string& interface, AnnouncementFn announced,
                        std::string* detail) {
  const std::string arping = posix::find_program("arping");
  if (arping.empty()) {
    append_detail(detail, "arping is not installed: no gratuitous ARP sent, neighbours keep the old MAC until "
                          "their ARP cache expires (install iputils-arping)");
    return;
  }
  if (announcements_running.fetch_add(1) >= kAnnouncementsRunningMax) {
    announcements_running.fetch_sub(1);
    append_detail(detail, "gratuitous ARP skipped: " + std::to_string(kAnnouncementsRunningMax) +
                          " announcements still running");
    return;
  }
  try {
    std::thread(announce_and_log, arping, vip_address, interface, std::move(announced)).detach();
  } catch (const std::system_error& error) {
    announcements_running.fetch_sub(1);
    append_detail(detail, "gratuitous ARP not sent: cannot start a thread for arping: " + std::string(error.what()));
    return;
  }
  append_detail(detail, "gratuitous ARP started on " + interface + " (result in the log when arping exits)");
}

}  // namespace

io::Result<bool> vip_held(const io::VipSpec& vip, std::string* detail) {
  Request request;
  if (const io::Error error = prepare(vip, &request, detail); error != io::Error::ok) return error;
  auto addresses = posix::list_ipv4_addresses(request.ip_program, detail);
  if (!addresses) return addresses.error();
  for (const auto& entry : *addresses) {
    if (entry.address == request.address && (vip.interface_name.empty() || entry.interface == vip.interface_name)) {
      return true;
    }
  }
  return false;
}

io::Error vip_add(const io::VipSpec& vip, std::string* detail, AnnouncementFn announced) {
  Request request;
  if (const io::Error error = prepare(vip, &request, detail); error != io::Error::ok) return error;
  auto addresses = posix::list_ipv4_addresses(request.ip_program, detail);
  if (!addresses) return addresses.error();
  const std::string interface = choose_interface(vip, request, *addresses);
  if (interface.empty()) {
    append_detail(detail, "no interface holds an address in the subnet of " + request.text + "; name the interface");
    return io::Error::not_found;
  }
  bool held = false;
  for (const auto& entry : *addresses) held = held || (entry.address == request.address && entry.interface == interface);
  if (held) {
    append_detail(detail, request.text + " already on " + interface);
  } else {
    const io::Error error = run_ip(request, {"addr", "add", request.text, "dev", interface},
                                   io::Error::already_exists, detail);
    if (error != io::Error::ok) return error;
    append_detail(detail, "added " + request.text + " on " + interface);
  }
  // Announced even when already held: a retried add may follow an add whose
  // announcement failed, and one more gratuitous ARP harms nobody.
  start_announcement(vip.address, interface, std::move(announced), detail);
  return io::Error::ok;
}

io::Error vip_remove(const io::VipSpec& vip, std::string* detail) {
  Request request;
  if (const io::Error error = prepare(vip, &request, detail); error != io::Error::ok) return error;
  auto addresses = posix::list_ipv4_addresses(request.ip_program, detail);
  if (!addresses) return addresses.error();
  std::size_t removed = 0;
  for (const auto& entry : *addresses) {
    if (entry.address != request.address) continue;
    if (!vip.interface_name.empty() && entry.interface != vip.interface_name) continue;
    // The prefix the kernel holds, which may differ from the spec's: `ip addr del`
    // matches on it.
    const std::string held = vip.address + "/" + std::to_string(entry.prefix_length);
    const io::Error error = run_ip(request, {"addr", "del", held, "dev", entry.interface},
                                   io::Error::address_unavailable, detail);
    if (error != io::Error::ok) return error;
    append_detail(detail, "removed " + held + " from " + entry.interface);
    ++removed;
  }
  if (removed == 0) append_detail(detail, vip.address + " was not held");
  return io::Error::ok;
}

}  // namespace hamirror::platform
