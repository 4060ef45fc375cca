// Tests that need what a machine may lack (root, /dev/fuse, network namespaces) skip
// where it is missing, with the reason. Under CI (CI=true, exported by .ci/run) the
// machine is known to have all of it, so a skip there would hide a broken set-up and
// let the suite pass without running the test: there the same check fails instead.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

namespace hamirror::test {

inline bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

}  // namespace hamirror::test

// A statement: returns from the test (or SetUp) either way.
#define HM_SKIP_OR_FAIL_UNDER_CI(why)                                                    \
  do {                                                                                   \
    if (::hamirror::test::under_ci()) {                                                  \
      GTEST_FAIL() << (why) << " (CI=true: this test must run here, a skip would hide it)"; \
    } else {                                                                             \
      GTEST_SKIP() << (why);                                                             \
    }                                                                                    \
  } while (false)
