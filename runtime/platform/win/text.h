// Text at the Win32 boundary: the seam speaks UTF-8 std::string, Win32's W functions
// UTF-16. Invalid UTF-8 is refused rather than replaced: a path with a replacement
// character would name another file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "platform/win/win32.h"

namespace hamirror::platform::win {

std::optional<std::wstring> to_wide(const std::string& utf8);
std::string to_utf8(const wchar_t* text);
// Case-insensitive equality as the file system and the SCM see it (invariant locale).
bool equal_ignoring_case(const std::wstring& a, const std::wstring& b);
// "The system cannot find the file specified. (2)" for a detail string.
std::string win32_message(DWORD code);

}  // namespace hamirror::platform::win
