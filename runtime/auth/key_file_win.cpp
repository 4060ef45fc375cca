// Windows: the file gets the ACL its directory hands down (keep the key in a folder
// only administrators can read, such as the daemon's configuration folder).
#include <windows.h>

#include <filesystem>
#include <string>

#include "auth/key_file.h"

namespace hamirror::auth {

std::string write_private_file(const std::string& path, std::string_view content, bool overwrite) {
  const std::wstring wide = std::filesystem::path(path).wstring();
  HANDLE file = CreateFileW(wide.c_str(), GENERIC_WRITE, 0, nullptr, overwrite ? CREATE_ALWAYS : CREATE_NEW,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    const DWORD error = GetLastError();
    if (error == ERROR_FILE_EXISTS) return "key file '" + path + "' already exists; keep it, or pass --force to replace it (both nodes then need the new key)";
    return "cannot create key file '" + path + "': Windows error " + std::to_string(error);
  }
  DWORD written = 0;
  const bool ok = WriteFile(file, content.data(), static_cast<DWORD>(content.size()), &written, nullptr) &&
                  written == content.size() && FlushFileBuffers(file);
  const DWORD error = GetLastError();
  CloseHandle(file);
  return ok ? "" : "cannot write key file '" + path + "': Windows error " + std::to_string(error);
}

std::string permission_warning(const std::string&) { return ""; }

}  // namespace hamirror::auth
