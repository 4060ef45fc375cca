// Reads a configuration file's bytes. The only file I/O of the configuration library.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "config/diagnostics.h"

namespace hamirror::config {

// Configuration files are small; anything larger is a wrong file.
constexpr std::size_t kMaxConfigFileBytes = 1024 * 1024;

// The whole file, or nullopt after reporting why it could not be read (missing, a
// directory, unreadable, larger than kMaxConfigFileBytes).
std::optional<std::string> read_config_file(const std::string& path, Diagnostics& diagnostics);

}  // namespace hamirror::config
