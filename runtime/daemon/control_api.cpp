#include "daemon/control_api.h"

#include <sstream>
#include <toml++/toml.h>

#include "daemon/state_report.h"

namespace hamirror::daemon {
namespace {

constexpr const char* kPrefix = "/api/v1/";

// {"ok": true|false, "message": "..."} or the bare sentence for text clients.
ControlResponse answer(const ControlRequest& request, int status, const std::string& message) {
  if (request.wants_text) return ControlResponse{status, "text/plain", message + "\n", {}};
  toml::table body{{"ok", status == 200}, {"message", message}};
  std::ostringstream out;
  out << toml::json_formatter{body};
  return ControlResponse{status, "application/json", out.str(), {}};
}

ControlResponse outcome(const ControlRequest& request, const std::string& refusal, const std::string& accepted) {
  return refusal.empty() ? answer(request, 200, accepted) : answer(request, 409, refusal);
}

ControlResponse state(const ControlRequest& request, ControlApiContext& context) {
  const StateReport report = make_state_report(context.node, peer_heard(context.node, context.now_ns), context.peer_name,
                                                context.state_since);
  ControlResponse response = request.wants_text ? ControlResponse{200, "text/plain", to_text(report), {}}
                                                : ControlResponse{200, "application/json", to_json(report), {}};
  // The CLI's exit code, without parsing the body.
  response.headers["Hamirror-State"] = report.state;
  return response;
}

// One line of a script's message: no line breaks may forge other log lines.
std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

ControlResponse command(const std::string& name, const ControlRequest& request, ControlApiContext& context) {
  core::Node& node = context.node;
  if (name == "start") {
    if (node.state() != core::NodeState::stop) return answer(request, 409, "already started (" + std::string(core::node_state_name(node.state())) + ")");
    context.module_log.write(io::Severity::info, "admin: start");
    node.start();
    return answer(request, 200, "starting");
  }
  if (name == "stop") {
    if (node.state() == core::NodeState::stop) return answer(request, 409, "already stopped");
    context.module_log.write(io::Severity::info, "admin: stop");
    node.stop();
    return answer(request, 200, "stopping");
  }
  if (name == "prim" || name == "primforce") {
    context.module_log.write(io::Severity::info, "admin: " + name);
    return outcome(request, node.prim(name == "primforce"), "becoming primary");
  }
  if (name == "second") {
    context.module_log.write(io::Severity::info, "admin: second");
    return outcome(request, node.second(), "giving up the primary role");
  }
  if (name == "swap") {
    context.module_log.write(io::Severity::info, "admin: swap");
    return outcome(request, node.swap(), "swapping roles with " + context.peer_name);
  }
  if (name == "failover/on" || name == "failover/off") {
    const bool on = name == "failover/on";
    context.module_log.write(io::Severity::info, std::string("admin: failover ") + (on ? "on" : "off"));
    node.set_failover(on);
    return answer(request, 200, on ? "failover on: the secondary takes over when the primary fails"
                                   : "failover off: the secondary never takes over by itself");
  }
  if (name == "log/info" || name == "log/error") {
    const std::string line = one_line(request.body);
    if (line.empty()) return answer(request, 400, "nothing to log: the request body is the line");
    context.module_log.write(name == "log/info" ? io::Severity::info : io::Severity::error, line);
    return answer(request, 200, "logged");
  }
  return answer(request, 404, "no such command: " + name);
}

}  // namespace

ControlResponse handle_control_request(const ControlRequest& request, ControlApiContext& context) {
  if (!request.path.starts_with(kPrefix)) return answer(request, 404, "no such endpoint: " + request.path);
  const std::string name = request.path.substr(std::string(kPrefix).size());
  if (name == "state") {
    if (request.method != "GET") return answer(request, 405, "state is read with GET");
    return state(request, context);
  }
  if (request.method != "POST") return answer(request, 405, name + " is a command: use POST");
  return command(name, request, context);
}

}  // namespace hamirror::daemon
