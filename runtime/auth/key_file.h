// Internal to runtime/auth: what the key file needs from the OS. key_file_posix.cpp
// and key_file_win.cpp implement it; CMake picks one.
#pragma once

#include <string>
#include <string_view>

namespace hamirror::auth {

// Creates `path` readable and writable by its owner only and writes `content`,
// durably. Fails if the file exists, unless `overwrite`. Returns an error sentence or "".
std::string write_private_file(const std::string& path, std::string_view content, bool overwrite);

// A warning sentence when `path` can be read or written by other users, else "".
std::string permission_warning(const std::string& path);

}  // namespace hamirror::auth
