// Host names in the configuration become numeric addresses once, at start-up (the
// I/O seam takes numeric addresses only). Uses libuv's synchronous getaddrinfo: the
// loop is not running yet, so blocking here delays nothing.
#pragma once

#include <uv.h>

#include <optional>
#include <string>

namespace hamirror::daemon {

std::optional<std::string> resolve_host(uv_loop_t* loop, const std::string& host);

}  // namespace hamirror::daemon
