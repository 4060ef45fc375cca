#include "core/witness/version_mismatch.h"

namespace hamirror::core::witness {

std::optional<std::string> VersionMismatchReport::consider(const std::string& decode_error, const std::string& from,
                                                           std::int64_t now_ns) {
  // The frame decoder's words for a header of another version (frame_decoder.cpp).
  if (decode_error.find("unknown protocol version") == std::string::npos) return std::nullopt;
  if (last_report_ns_ && now_ns - *last_report_ns_ < kVersionReportIntervalNs) return std::nullopt;
  last_report_ns_ = now_ns;
  return "datagram from " + from + " dropped: " + decode_error +
         "; the nodes and the witness must run the same protocol version (upgrade all three)";
}

}  // namespace hamirror::core::witness
