#include "daemon/core_log_severity.h"

#include <array>

namespace hamirror::daemon {
namespace {

// Data or service at risk, or a failure an admin must look at.
constexpr std::array<std::string_view, 17> kErrorPhrases{
    "not captured", "SPLIT BRAIN", "fenced", "fencing", "cannot ", "could not ", "failed op", "failed to apply", "disk failed",
    "I/O error", "inconsistent", "damaged", "protocol error", "application start failed",
    "application force stop failed", "reintegration failed", "planning failed"};
// The cluster copes, but something is down, lost, refused or given up.
// ("refused:" and the like, not "refus": a handover says new writes "are refused", as planned.)
constexpr std::array<std::string_view, 16> kWarnPhrases{
    "NOT captured", " is down", "' down", " lost", "refused:", ": refused", "refusing", "refuses", "abandoned", "failed", "errd:", "may lack writes",
    "writes wait", "outdated", "not synchronised", "killed"};
constexpr std::array<std::string_view, 5> kStateNames{"STOP", "WAIT", "ALONE", "PRIM", "SECOND"};

bool contains_any(std::string_view line, const auto& phrases) {
  for (const std::string_view phrase : phrases) {
    if (line.find(phrase) != std::string_view::npos) return true;
  }
  return false;
}

bool starts_with_state(std::string_view text) {
  for (const std::string_view state : kStateNames) {
    if (text.starts_with(state)) return true;
  }
  return false;
}

// "node1: WAIT -> PRIM: reason" (the node's state) or "node1: role node1: a -> b: ..."
// (the primary role's resources following it).
bool is_state_change(std::string_view line) {
  const std::size_t colon = line.find(": ");
  if (colon == std::string_view::npos) return false;
  const std::string_view text = line.substr(colon + 2);
  const std::size_t arrow = text.find(" -> ");
  if (arrow == std::string_view::npos) return false;
  if (text.starts_with("role ")) return true;
  return starts_with_state(text) && starts_with_state(text.substr(arrow + 4)) && arrow <= 6;
}

}  // namespace

io::Severity core_log_severity(std::string_view line) {
  if (contains_any(line, kErrorPhrases)) return io::Severity::error;
  if (is_state_change(line)) return io::Severity::info;
  if (contains_any(line, kWarnPhrases)) return io::Severity::warn;
  return io::Severity::info;
}

}  // namespace hamirror::daemon
