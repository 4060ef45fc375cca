// Name resolution for confcheck (a VIP may be written as a host name). Kept out of
// runtime/config, which never does I/O of this kind, and injected into its checks.
#pragma once

#include <string>

namespace hamirror::cli {

// True when `host_name` resolves to at least one address (blocking; the system
// resolver's own timeouts apply).
bool host_name_resolves(const std::string& host_name);

}  // namespace hamirror::cli
