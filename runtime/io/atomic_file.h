// Replacing a small state file so that a crash leaves either the old or the new
// contents, never a mix: write a temporary file, fsync it, rename it over the target,
// fsync the directory. On Windows the backend's rename is MoveFileEx with
// MOVEFILE_WRITE_THROUGH, which makes the rename itself durable.
#pragma once

#include <string>

#include "io/bytes.h"
#include "io/filesystem.h"

namespace hamirror::io {

// The temporary file is `path` + kAtomicTempSuffix; a stale one left by a crash is
// overwritten. done(ok) means the new contents are durable.
inline constexpr const char* kAtomicTempSuffix = ".tmp";
void write_file_atomically(FileSystem& fs, const std::string& path, ByteView contents, FileSystem::DoneFn done);

// Reads a whole file (bounded by max_bytes: larger files fail with invalid_argument).
void read_whole_file(FileSystem& fs, const std::string& path, std::uint64_t max_bytes, FileSystem::ReadFn done);

}  // namespace hamirror::io
