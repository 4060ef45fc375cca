#include "tests/io/uv_programs.h"

namespace hamirror::test {

io::ProcessSpec uv_printing_program(const std::string& text, int exit_code) {
  // `echo|set /p=` prints without a trailing newline.
  return {.program = "cmd.exe", .args = {"/c", "echo|set /p=" + text + "& exit /b " + std::to_string(exit_code)}};
}

io::ProcessSpec uv_sleeping_program(std::int64_t duration_ms) {
  // ping waits about a second between echoes; good enough for "runs a while".
  const auto seconds = duration_ms / 1000 + 1;
  return {.program = "cmd.exe", .args = {"/c", "ping -n " + std::to_string(seconds + 1) + " 127.0.0.1 >nul"}};
}

}  // namespace hamirror::test
