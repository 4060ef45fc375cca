#include "tests/io/uv_programs.h"

namespace hamirror::test {

io::ProcessSpec uv_printing_program(const std::string& text, int exit_code) {
  return {.program = "/bin/sh", .args = {"-c", "printf '%s' \"$0\"; exit " + std::to_string(exit_code), text}};
}

io::ProcessSpec uv_sleeping_program(std::int64_t duration_ms) {
  return {.program = "/bin/sh", .args = {"-c", "exec sleep " + std::to_string(duration_ms / 1000.0)}};
}

}  // namespace hamirror::test
