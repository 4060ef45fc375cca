// The simulated file system's path rules, in one place. MemFs paths are POSIX-style
// and absolute ("/data/x"); repeated separators collapse as on POSIX. "." and ".."
// are refused with invalid_argument: nothing in the product needs them, and quietly
// resolving them would hide path bugs that the real backends would expose. A backslash
// is refused too, because on Windows it would be a separator and the simulated tree
// would then disagree with the real one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "io/error.h"

namespace hamirror::fsim {

// POSIX PATH_MAX and NAME_MAX: longer paths fail with invalid_argument.
constexpr std::size_t kMaxPathBytes = 4096;
constexpr std::size_t kMaxNameBytes = 255;

struct ParsedPath {
  std::vector<std::string> names;   // empty for the root
  bool trailing_separator = false;  // "/a/b/": POSIX requires a directory there
};

io::Result<ParsedPath> parse_path(std::string_view path);

// "/" for no names, else "/a/b".
std::string format_path(const std::vector<std::string>& names);

}  // namespace hamirror::fsim
