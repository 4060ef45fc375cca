// The virtual IP on Windows, with IP Helper.
//
// - The interface: GetAdaptersAddresses, matched by friendly name ("Ethernet") or
//   adapter GUID when named, else the one already holding the address, else the first
//   with an IPv4 address in the VIP's subnet.
// - add: AddIPAddress. Windows then runs duplicate address detection: it probes with
//   ARP and, once the address is preferred, announces it (the gratuitous ARP Linux
//   needs arping for). We wait for that outcome (bounded) because a duplicate means
//   another host still answers for the VIP: the address is then withdrawn and the add
//   fails with address_in_use.
// - remove: DeleteIPAddress takes the NTE context AddIPAddress returned, which a
//   restarted daemon no longer has. GetIpAddrTable's rows do not carry it;
//   GetAdaptersInfo's IP_ADDR_STRING.Context does (documented as the AddIPAddress /
//   DeleteIPAddress NTE context), so that is where it is looked up. An address with
//   no context there (added by other means) is deleted with
//   DeleteUnicastIpAddressEntry by interface index and address.
// - held: GetIpAddrTable.
// IPv4 only, like AddIPAddress. Wine implements AddIPAddress as a stub
// (ERROR_NOT_SUPPORTED -> not_supported).

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "io/assert.h"
#include "platform/platform.h"
#include "platform/win/text.h"
#include "platform/win/win32.h"

namespace hamirror::platform {
namespace {

using Clock = std::chrono::steady_clock;

constexpr ULONG kFirstBufferBytes = 16 * 1024;
// The tables may grow between the size query and the read; retry a few times only.
constexpr int kMaxTableAttempts = 4;
constexpr std::int64_t kDadWaitMs = 5'000;
constexpr std::int64_t kDadPollMs = 100;
// MIB_IPADDR_DELETED from ipmib.h, which mingw-w64 10 lacks.
constexpr unsigned short kIpAddrDeleted = 0x0040;

void append_detail(std::string* detail, const std::string& text) {
  if (detail == nullptr) return;
  if (!detail->empty()) *detail += "; ";
  *detail += text;
}

// Dotted IPv4 to a host-order value, parsed here so nothing depends on Winsock setup.
std::optional<std::uint32_t> parse_ipv4(const std::string& text) {
  std::uint32_t value = 0;
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    std::uint32_t part = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 3) {
      part = part * 10 + static_cast<std::uint32_t>(text[i++] - '0');
      ++digits;
    }
    if (digits == 0 || part > 255) return std::nullopt;
    value = (value << 8) | part;
    ++parts;
    if (parts < 4 && (i >= text.size() || text[i++] != '.')) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  return value;
}

std::uint32_t mask_of(int prefix_length) {
  return prefix_length == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_length);
}

struct Adapter {
  std::wstring friendly_name;
  std::wstring guid;
  DWORD index = 0;
  std::vector<std::pair<std::uint32_t, int>> addresses;  // host order, prefix length
};

struct Request {
  std::uint32_t address = 0;  // host order
  std::string text;           // "10.0.0.5/24"
};

io::Error prepare(const io::VipSpec& vip, Request* request, std::string* detail) {
  if (detail != nullptr) detail->clear();
  const auto address = parse_ipv4(vip.address);
  if (!address) {
    append_detail(detail, "not an IPv4 address: '" + vip.address + "' (only IPv4 virtual IPs are supported)");
    return io::Error::invalid_argument;
  }
  if (vip.prefix_length < 1 || vip.prefix_length > 32) {
    append_detail(detail, "prefix length must be 1..32, not " + std::to_string(vip.prefix_length));
    return io::Error::invalid_argument;
  }
  request->address = *address;
  request->text = vip.address + "/" + std::to_string(vip.prefix_length);
  return io::Error::ok;
}

io::Result<std::vector<Adapter>> list_adapters(std::string* detail) {
  const ULONG flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER;
  ULONG size = kFirstBufferBytes;
  std::vector<std::uint64_t> buffer;  // 8-byte aligned, as the structures need
  ULONG rc = ERROR_BUFFER_OVERFLOW;
  for (int attempt = 0; attempt < kMaxTableAttempts && rc == ERROR_BUFFER_OVERFLOW; ++attempt) {
    buffer.assign(size / sizeof(std::uint64_t) + 1, 0);
    rc = ::GetAdaptersAddresses(AF_INET, flags, nullptr, reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buffer.data()),
                                &size);
  }
  std::vector<Adapter> adapters;
  if (rc == ERROR_NO_DATA) return adapters;
  if (rc != NO_ERROR) {
    append_detail(detail, "GetAdaptersAddresses: " + win::win32_message(rc));
    return io::error_from_win32(rc);
  }
  for (auto* entry = reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buffer.data()); entry != nullptr; entry = entry->Next) {
    Adapter adapter;
    adapter.friendly_name = entry->FriendlyName != nullptr ? entry->FriendlyName : L"";
    adapter.guid = win::to_wide(entry->AdapterName != nullptr ? entry->AdapterName : "").value_or(L"");
    adapter.index = entry->IfIndex;
    for (auto* unicast = entry->FirstUnicastAddress; unicast != nullptr; unicast = unicast->Next) {
      const sockaddr* address = unicast->Address.lpSockaddr;
      if (address == nullptr || address->sa_family != AF_INET) continue;
      const auto* ipv4 = reinterpret_cast<const sockaddr_in*>(address);
      adapter.addresses.emplace_back(ntohl(ipv4->sin_addr.s_addr), unicast->OnLinkPrefixLength);
    }
    adapters.push_back(std::move(adapter));
  }
  return adapters;
}

io::Result<std::vector<MIB_IPADDRROW>> ip_address_rows(std::string* detail) {
  ULONG size = kFirstBufferBytes;
  std::vector<std::uint64_t> buffer;
  DWORD rc = ERROR_INSUFFICIENT_BUFFER;
  for (int attempt = 0; attempt < kMaxTableAttempts && rc == ERROR_INSUFFICIENT_BUFFER; ++attempt) {
    buffer.assign(size / sizeof(std::uint64_t) + 1, 0);
    rc = ::GetIpAddrTable(reinterpret_cast<MIB_IPADDRTABLE*>(buffer.data()), &size, FALSE);
  }
  if (rc != NO_ERROR) {
    append_detail(detail, "GetIpAddrTable: " + win::win32_message(rc));
    return io::error_from_win32(rc);
  }
  const auto* table = reinterpret_cast<const MIB_IPADDRTABLE*>(buffer.data());
  std::vector<MIB_IPADDRROW> rows;
  for (DWORD i = 0; i < table->dwNumEntries; ++i) {
    if ((table->table[i].wType & kIpAddrDeleted) == 0) rows.push_back(table->table[i]);
  }
  return rows;
}

// The named interface's index, or not_found.
io::Result<DWORD> named_interface(const std::string& name, const std::vector<Adapter>& adapters,
                                  std::string* detail) {
  const auto wide = win::to_wide(name);
  if (wide) {
    for (const Adapter& adapter : adapters) {
      if (win::equal_ignoring_case(adapter.friendly_name, *wide) || win::equal_ignoring_case(adapter.guid, *wide)) {
        return adapter.index;
      }
    }
  }
  append_detail(detail, "no interface named '" + name + "'");
  return io::Error::not_found;
}

io::Result<DWORD> choose_interface(const io::VipSpec& vip, const Request& request,
                                   const std::vector<Adapter>& adapters, const std::vector<MIB_IPADDRROW>& rows,
                                   std::string* detail) {
  if (!vip.interface_name.empty()) return named_interface(vip.interface_name, adapters, detail);
  for (const MIB_IPADDRROW& row : rows) {
    if (row.dwAddr == htonl(request.address)) return row.dwIndex;
  }
  const std::uint32_t mask = mask_of(vip.prefix_length);
  for (const Adapter& adapter : adapters) {
    for (const auto& [address, prefix] : adapter.addresses) {
      if ((address & mask) == (request.address & mask)) return adapter.index;
    }
  }
  append_detail(detail, "no interface holds an address in the subnet of " + request.text + "; name the interface");
  return io::Error::not_found;
}

MIB_UNICASTIPADDRESS_ROW unicast_row(DWORD index, std::uint32_t address) {
  MIB_UNICASTIPADDRESS_ROW row;
  ::InitializeUnicastIpAddressEntry(&row);
  row.Address.si_family = AF_INET;
  row.Address.Ipv4.sin_family = AF_INET;
  row.Address.Ipv4.sin_addr.s_addr = htonl(address);
  row.InterfaceIndex = index;
  return row;
}

// Waits for duplicate address detection to settle; address_in_use if another host
// answers for the address (which is then withdrawn again).
io::Error wait_for_dad(DWORD index, const Request& request, ULONG context, std::string* detail) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(kDadWaitMs);
  // Bounded by the deadline: one query per kDadPollMs.
  for (;;) {
    MIB_UNICASTIPADDRESS_ROW row = unicast_row(index, request.address);
    const DWORD rc = ::GetUnicastIpAddressEntry(&row);
    if (rc != NO_ERROR) {
      append_detail(detail, "duplicate address detection not observed: " + win::win32_message(rc));
      return io::Error::ok;
    }
    if (row.DadState == IpDadStateDuplicate) {
      ::DeleteIPAddress(context);
      append_detail(detail, "another host answers for " + request.text + " (duplicate address detection); withdrawn");
      return io::Error::address_in_use;
    }
    if (row.DadState != IpDadStateTentative) return io::Error::ok;
    if (Clock::now() >= deadline) {
      append_detail(detail, "still tentative after " + std::to_string(kDadWaitMs) + " ms");
      return io::Error::ok;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kDadPollMs));
  }
}

// NTE context of (interface, address) from GetAdaptersInfo, if it lists one.
std::optional<ULONG> nte_context(DWORD index, std::uint32_t address) {
  ULONG size = kFirstBufferBytes;
  std::vector<std::uint64_t> buffer;
  ULONG rc = ERROR_BUFFER_OVERFLOW;
  for (int attempt = 0; attempt < kMaxTableAttempts && rc == ERROR_BUFFER_OVERFLOW; ++attempt) {
    buffer.assign(size / sizeof(std::uint64_t) + 1, 0);
    rc = ::GetAdaptersInfo(reinterpret_cast<IP_ADAPTER_INFO*>(buffer.data()), &size);
  }
  if (rc != NO_ERROR) return std::nullopt;
  for (auto* adapter = reinterpret_cast<IP_ADAPTER_INFO*>(buffer.data()); adapter != nullptr; adapter = adapter->Next) {
    if (adapter->Index != index) continue;
    for (IP_ADDR_STRING* entry = &adapter->IpAddressList; entry != nullptr; entry = entry->Next) {
      if (parse_ipv4(entry->IpAddress.String) == address) return entry->Context;
    }
  }
  return std::nullopt;
}

}  // namespace

io::Result<bool> vip_held(const io::VipSpec& vip, std::string* detail) {
  Request request;
  if (const io::Error error = prepare(vip, &request, detail); error != io::Error::ok) return error;
  std::optional<DWORD> index;
  if (!vip.interface_name.empty()) {
    auto adapters = list_adapters(detail);
    if (!adapters) return adapters.error();
    auto named = named_interface(vip.interface_name, *adapters, detail);
    if (!named) return named.error();
    index = *named;
  }
  auto rows = ip_address_rows(detail);
  if (!rows) return rows.error();
  for (const MIB_IPADDRROW& row : *rows) {
    if (row.dwAddr == htonl(request.address) && (!index || row.dwIndex == *index)) return true;
  }
  return false;
}

io::Error vip_add(const io::VipSpec& vip, std::string* detail, AnnouncementFn /*announced: Windows announces itself*/) {
  Request request;
  if (const io::Error error = prepare(vip, &request, detail); error != io::Error::ok) return error;
  auto adapters = list_adapters(detail);
  if (!adapters) return adapters.error();
  auto rows = ip_address_rows(detail);
  if (!rows) return rows.error();
  auto index = choose_interface(vip, request, *adapters, *rows, detail);
  if (!index) return index.error();
  for (const MIB_IPADDRROW& row : *rows) {
    if (row.dwAddr == htonl(request.address) && row.dwIndex == *index) {
      append_detail(detail, request.text + " already on interface " + std::to_string(*index));
      return io::Error::ok;
    }
  }
  ULONG context = 0;
  ULONG instance = 0;
  const DWORD rc = ::AddIPAddress(htonl(request.address), htonl(mask_of(vip.prefix_length)), *index, &context,
                                  &instance);
  if (rc == ERROR_OBJECT_ALREADY_EXISTS) return io::Error::ok;  // added meanwhile
  if (rc != NO_ERROR) {
    append_detail(detail, "AddIPAddress " + request.text + ": " + win::win32_message(rc));
    return io::error_from_win32(rc);
  }
  append_detail(detail, "added " + request.text + " on interface " + std::to_string(*index));
  return wait_for_dad(*index, request, context, detail);
}

io::Error vip_remove(const io::VipSpec& vip, std::string* detail) {
  Request request;
  if (const io::Error error = prepare(vip, &request, detail); error != io::Error::ok) return error;
  std::optional<DWORD> only;
  if (!vip.interface_name.empty()) {
    auto adapters = list_adapters(detail);
    if (!adapters) return adapters.error();
    auto named = named_interface(vip.interface_name, *adapters, detail);
    if (!named) return named.error();
    only = *named;
  }
  auto rows = ip_address_rows(detail);
  if (!rows) return rows.error();
  std::size_t removed = 0;
  for (const MIB_IPADDRROW& row : *rows) {
    if (row.dwAddr != htonl(request.address) || (only && row.dwIndex != *only)) continue;
    DWORD rc = NO_ERROR;
    if (const auto context = nte_context(row.dwIndex, request.address)) {
      rc = ::DeleteIPAddress(*context);
    } else {
      const MIB_UNICASTIPADDRESS_ROW unicast = unicast_row(row.dwIndex, request.address);
      rc = ::DeleteUnicastIpAddressEntry(&unicast);
    }
    if (rc != NO_ERROR && rc != ERROR_NOT_FOUND) {
      append_detail(detail, "deleting " + vip.address + " from interface " + std::to_string(row.dwIndex) + ": " +
                                win::win32_message(rc));
      return io::error_from_win32(rc);
    }
    append_detail(detail, "removed " + vip.address + " from interface " + std::to_string(row.dwIndex));
    ++removed;
  }
  if (removed == 0) append_detail(detail, vip.address + " was not held");
  return io::Error::ok;
}

}  // namespace hamirror::platform
