// Turns one asynchronous seam call into a value for a test: starts it, runs the
// backend until its callback ran, returns what the callback got.
#pragma once

#include <optional>
#include <utility>

#include "tests/io/backend_harness.h"

namespace hamirror::test {

// R is io::Error or io::Result<T>; both can carry timed_out when the callback never ran.
template <typename R, typename Start>
R await(BackendHarness& harness, Start start, std::int64_t bound_ms = 5000) {
  std::optional<R> out;
  start([&out](R result) { out.emplace(std::move(result)); });
  if (!harness.run_until([&] { return out.has_value(); }, bound_ms)) {
    ADD_FAILURE() << "the callback did not run within " << bound_ms << " ms";
    return R(io::Error::timed_out);
  }
  return std::move(*out);
}

}  // namespace hamirror::test
