#include "platform/win/text.h"

#include <climits>

#include "io/assert.h"

namespace hamirror::platform::win {

std::optional<std::wstring> to_wide(const std::string& utf8) {
  if (utf8.empty()) return std::wstring();
  if (utf8.size() > static_cast<std::size_t>(INT_MAX)) return std::nullopt;
  const int size = static_cast<int>(utf8.size());
  const int needed = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), size, nullptr, 0);
  if (needed <= 0) return std::nullopt;
  std::wstring wide(static_cast<std::size_t>(needed), L'\0');
  const int written = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8.data(), size, wide.data(), needed);
  HM_ASSERT(written == needed);
  // An embedded NUL would silently cut the name short in every W function.
  if (wide.find(L'\0') != std::wstring::npos) return std::nullopt;
  return wide;
}

std::string to_utf8(const wchar_t* text) {
  if (text == nullptr || *text == L'\0') return {};
  const int needed = ::WideCharToMultiByte(CP_UTF8, 0, text, -1, nullptr, 0, nullptr, nullptr);
  if (needed <= 1) return {};
  std::string utf8(static_cast<std::size_t>(needed), '\0');
  const int written = ::WideCharToMultiByte(CP_UTF8, 0, text, -1, utf8.data(), needed, nullptr, nullptr);
  HM_ASSERT(written == needed);
  utf8.pop_back();  // the terminating NUL
  return utf8;
}

bool equal_ignoring_case(const std::wstring& a, const std::wstring& b) {
  return ::CompareStringEx(LOCALE_NAME_INVARIANT, NORM_IGNORECASE, a.c_str(), -1, b.c_str(), -1, nullptr, nullptr,
                           0) == CSTR_EQUAL;
}

std::string win32_message(DWORD code) {
  wchar_t* buffer = nullptr;
  const DWORD flags = FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS;
  const DWORD length = ::FormatMessageW(flags, nullptr, code, 0, reinterpret_cast<wchar_t*>(&buffer), 0, nullptr);
  std::string text = length > 0 ? to_utf8(buffer) : "Win32 error";
  if (buffer != nullptr) ::LocalFree(buffer);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text + " (" + std::to_string(code) + ")";
}

}  // namespace hamirror::platform::win
