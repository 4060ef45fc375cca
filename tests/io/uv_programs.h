// Real programs for the libuv side of the process contract: /bin/sh on POSIX,
// cmd.exe on Windows (uv_programs_posix.cpp / uv_programs_win.cpp, chosen by CMake).
#pragma once

#include <string>

#include "io/process.h"

namespace hamirror::test {
io::ProcessSpec uv_printing_program(const std::string& text, int exit_code);
io::ProcessSpec uv_sleeping_program(std::int64_t duration_ms);
}  // namespace hamirror::test
