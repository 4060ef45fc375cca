// The "hamirrord" source of the Windows Event Log (Application log): a service has no
// console, so why it could not start goes there. Its messages are hamirrord.exe's own
// message table (windows_service_messages.mc: event 1 is "%1"), registered by
// `hamirrord install`; without the registration Event Viewer still shows the text, under
// "the description for Event ID 1 cannot be found".
#include <string>

#include "daemon/windows_service.h"
#include "platform/win/text.h"

namespace hamirror::daemon {
namespace {

constexpr const wchar_t* kEventSourceKey = L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\hamirrord";
constexpr DWORD kEventIdText = 1;  // HAMIRRORD_EVENT_TEXT in windows_service_messages.mc

}  // namespace

bool write_event_log(EventKind kind, const std::string& message) {
  const auto text = platform::win::to_wide(message);
  if (!text) return false;
  HANDLE source = ::RegisterEventSourceW(nullptr, kEventSourceName);
  if (source == nullptr) return false;
  const wchar_t* strings[] = {text->c_str()};
  const WORD type = kind == EventKind::error ? EVENTLOG_ERROR_TYPE : EVENTLOG_INFORMATION_TYPE;
  const bool written = ::ReportEventW(source, type, 0, kEventIdText, nullptr, 1, 0, strings, nullptr) != FALSE;
  ::DeregisterEventSource(source);
  return written;
}

std::string register_event_source(const std::wstring& program) {
  HKEY key = nullptr;
  LSTATUS status = ::RegCreateKeyExW(HKEY_LOCAL_MACHINE, kEventSourceKey, 0, nullptr, 0, KEY_SET_VALUE, nullptr, &key, nullptr);
  if (status != ERROR_SUCCESS) return platform::win::win32_message(static_cast<DWORD>(status));
  const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
  status = ::RegSetValueExW(key, L"EventMessageFile", 0, REG_EXPAND_SZ, reinterpret_cast<const BYTE*>(program.c_str()),
                            static_cast<DWORD>((program.size() + 1) * sizeof(wchar_t)));
  if (status == ERROR_SUCCESS) {
    status = ::RegSetValueExW(key, L"TypesSupported", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&types), sizeof types);
  }
  ::RegCloseKey(key);
  return status == ERROR_SUCCESS ? std::string() : platform::win::win32_message(static_cast<DWORD>(status));
}

void unregister_event_source() { ::RegDeleteKeyW(HKEY_LOCAL_MACHINE, kEventSourceKey); }

}  // namespace hamirror::daemon
