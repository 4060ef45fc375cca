// A witness and a node of different protocol versions cannot read each other's
// datagrams. Dropping them silently would look like a witness that is down; this says
// why, at most once a minute, so that a mixed-version upgrade is visible in the logs
// without a prober being able to flood them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hamirror::core::witness {

constexpr std::int64_t kVersionReportIntervalNs = 60'000'000'000;

class VersionMismatchReport {
 public:
  // The sentence to log for a datagram that failed to decode with `decode_error`, or
  // nullopt: not a version mismatch, or one was reported less than a minute ago.
  std::optional<std::string> consider(const std::string& decode_error, const std::string& from, std::int64_t now_ns);

 private:
  std::optional<std::int64_t> last_report_ns_;
};

}  // namespace hamirror::core::witness
