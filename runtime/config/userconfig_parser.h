// Reads and checks a SafeKit-style userconfig.xml (a "mirror" module) into ModuleConfig.
//
// Reports every problem it can find in one pass (all of them, not the first), each with
// file:line:column; only a file that is not well-formed XML stops at its first error.
// Unknown elements and attributes are warnings; invalid values are errors and are never
// replaced by a default. Never throws for any input.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/diagnostics.h"
#include "config/module_config.h"
#include "config/path_rules.h"

namespace hamirror::config {

struct UserconfigOptions {
  // Which platform's rule decides whether a replicated directory is an absolute path.
  PathStyle path_style = native_path_style();
  // Says whether a host name resolves (a VIP may be given by name). Empty: names are
  // refused and only IPv4 / IPv6 literals are accepted (tests never do DNS).
  std::function<bool(const std::string& host_name)> resolves;
};

struct UserconfigResult {
  std::optional<ModuleConfig> config;  // set only when there is no error
  Diagnostics diagnostics;
};

// `file` names the file in diagnostics; `text` is its whole content (UTF-8, with or
// without a byte order mark, any line endings).
UserconfigResult parse_userconfig(std::string_view text, const std::string& file, const UserconfigOptions& options = {});

}  // namespace hamirror::config
