// How serious a log line is. The module log shows it on every line (INFO, WARN, ERROR),
// so an admin can grep for what needs attention:
// - info: what happened as planned (state changes, admin commands, reintegration progress);
// - warn: the cluster copes, but something is wrong or degraded (peer down, link lost,
//   a command refused, an announcement not sent);
// - error: data or service at risk, or a failure an admin must look at (split brain,
//   fencing, a disk error, a script or resource that failed).
#pragma once

#include <cstdint>
#include <string_view>

namespace hamirror::io {

enum class Severity : std::uint8_t { info, warn, error };

// "INFO", "WARN", "ERROR"
constexpr std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::info: return "INFO";
    case Severity::warn: return "WARN";
    case Severity::error: return "ERROR";
  }
  return "ERROR";
}

}  // namespace hamirror::io
