#include <cstdlib>

#include "cli/default_paths.h"
#include "platform/win/text.h"

#include <knownfolders.h>
#include <shlobj.h>

namespace hamirror::paths {
namespace {

// The known folder first: a service's environment may differ from a console's (Wine
// sets %ProgramData% to C:\users\Public there). Then the variable, then Windows' default.
std::string program_data() {
  wchar_t* path = nullptr;
  std::string result;
  if (::SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &path) == S_OK) result = platform::win::to_utf8(path);
  ::CoTaskMemFree(path);
  if (!result.empty()) return result;
  if (const char* variable = std::getenv("ProgramData"); variable != nullptr && *variable != '\0') return variable;
  return "C:\\ProgramData";
}

}  // namespace

std::string default_config_dir() { return program_data() + "\\hamirror"; }

}  // namespace hamirror::paths
