// What counts as a replicated directory's path, for the platform the node runs on.
//
// The rule is a parameter, not an #ifdef, so Linux tests check Windows paths too:
// - posix: absolute means it starts with '/'; "c:\data" is not absolute.
// - windows: absolute means a drive letter, a colon and a separator ("C:\data",
//   "C:/data"). UNC paths ("\\server\share") are refused: a network share cannot be
//   replicated. "\data" (no drive) and "C:data" (relative to the drive's current
//   directory) are not absolute. Names compare case-insensitively; '/' equals '\'.
// Paths are compared lexically (the node may not exist yet when the file is checked).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hamirror::config {

enum class PathStyle { posix, windows };

// The style of the platform this program was built for.
PathStyle native_path_style();

const char* path_style_name(PathStyle style);  // "Linux" or "Windows", for messages

// Why `path` cannot be a replicated directory, or nullopt when it can.
std::optional<std::string> replicated_dir_problem(std::string_view path, PathStyle style);

// Why `path` cannot be a path relative to a replicated directory (<notreplicated>),
// or nullopt when it can.
std::optional<std::string> relative_path_problem(std::string_view path, PathStyle style);

// A canonical form for comparisons: one separator ('/'), no "." or empty components, no
// trailing separator, lower case on Windows. Only for paths that passed the checks
// above.
std::string comparable_path(std::string_view path, PathStyle style);

// True when `inner` is `outer` or lies below it (both given in comparable form).
bool path_contains(std::string_view outer, std::string_view inner);

}  // namespace hamirror::config
