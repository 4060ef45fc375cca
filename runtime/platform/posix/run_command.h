// Runs a helper program (ip, systemctl, arping) and captures what it prints, for the
// blocking functions of platform.h. The program gets /dev/null as stdin, LC_ALL=C (its
// output is parsed) and its own process group, so a timeout kills it and its children.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/error.h"

namespace hamirror::platform::posix {

// The helpers print a few lines; more than this is a misbehaving program, kept short.
constexpr std::size_t kMaxCommandOutputBytes = 64 * 1024;

struct CommandResult {
  int exit_code = -1;      // meaningful when !timed_out and term_signal == 0
  int term_signal = 0;     // signal that ended it, 0 if none
  bool timed_out = false;  // killed (SIGKILL to its process group) at the timeout
  std::string output;      // stdout and stderr interleaved, at most kMaxCommandOutputBytes
};

// argv[0] is a path or a name looked up in PATH. Errors mean the program could not be
// started (not_found: no such program); a non-zero exit is a CommandResult.
io::Result<CommandResult> run_command(const std::vector<std::string>& argv, std::int64_t timeout_ms);

// The full path of an executable `name` from PATH or from /usr/sbin, /sbin, /usr/bin,
// /bin (a daemon's PATH often lacks the sbin folders where ip and arping live); empty
// when there is none.
std::string find_program(const std::string& name);

// One line for a detail string: "exit 1: <first line of output>".
std::string describe(const CommandResult& result);

}  // namespace hamirror::platform::posix
