// Always-on assertions for invariants (TigerBeetle style): a broken invariant stops
// the process with file:line and the condition; it is never compiled out. Expected
// operating errors are io::Error values, not assertions.
#pragma once

namespace hamirror {
[[noreturn]] void assertion_failed(const char* condition, const char* file, int line);
}  // namespace hamirror

#define HM_ASSERT(condition)                                          \
  do {                                                                \
    if (!(condition)) ::hamirror::assertion_failed(#condition, __FILE__, __LINE__); \
  } while (false)
