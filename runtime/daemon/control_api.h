// The control API's endpoints, answered on the loop (CONTROL-API.md lists them):
// this node's state, the admin's commands (start, stop, prim, primforce, second, swap,
// failover on|off) and lines scripts add to the module log (printi / printe).
// A refused command answers 409 with the node's reason; JSON unless the client asked
// for text/plain.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/node/node.h"
#include "daemon/control_server.h"
#include "daemon/log_file.h"

namespace hamirror::daemon {

struct ControlApiContext {
  core::Node& node;
  std::string peer_name;
  std::string state_since;  // UTC time of the last state change
  LogFile& module_log;
  std::int64_t now_ns = 0;  // the node's clock at the request: how long ago the peer was heard
};

ControlResponse handle_control_request(const ControlRequest& request, ControlApiContext& context);

}  // namespace hamirror::daemon
