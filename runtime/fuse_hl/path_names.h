// Names in the high-level frontend: FUSE's absolute paths ("/dir/file") to the
// relative, '/'-separated paths of FileOps ("dir/file"), and comparisons without regard
// to case for a case-insensitive volume (Windows).
#pragma once

#include <string>
#include <string_view>

namespace hamirror::fuse_hl {

// "/a/b" → "a/b"; "/" → "".
std::string strip_root(std::string_view path);
// The last name of a path ("a/b" → "b", "/a" → "a", "b" → "b").
std::string last_component(std::string_view path);
// `path` with its last name replaced ("a/b", "C" → "a/C"; "b", "C" → "C").
std::string with_last_component(std::string_view path, std::string_view name);
// ASCII letters compare without regard to case; every other byte (UTF-8 included) as is.
// NTFS folds more (all of Unicode); the backing copy on Windows folds the rest itself.
bool same_ignoring_case(std::string_view a, std::string_view b);

}  // namespace hamirror::fuse_hl
