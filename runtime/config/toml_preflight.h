// A guard in front of toml++ 3.3 (Debian 12's). Two malformed inputs make its parser
// break its own preconditions — an assertion failure in debug builds, and undefined
// behaviour (the condition is an optimiser assumption) in release builds:
// - a table header whose '[' or '[[' is not followed by a key ("[=", "[#", "[" at the
//   end of a line): parse_key() (fixed upstream: marzer/tomlplusplus pull request 301);
// - a '}' where an array expects a value ("a = [}]"): parse_value().
// Found by mutating every byte of the example node file. Such inputs are caught here
// first and reported as syntax errors, so toml++ never sees them.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace hamirror::config {

struct UnsafeToml {
  std::size_t offset = 0;  // of the offending '[' or '}'
  const char* message = "";
};

// The first such construct, or nullopt when the text is safe to hand to toml++.
// Brackets inside strings and comments are ignored; a '[' opens a table header only
// at the start of a line outside any value.
std::optional<UnsafeToml> find_unsafe_toml(std::string_view text);

}  // namespace hamirror::config
