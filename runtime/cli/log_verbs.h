// The logs from the command line:
// - `logview [-f] [--application]`: prints the module log (or the application log);
//   -f keeps following it, across rotations, until Ctrl-C.
// - `printi TEXT...` / `printe TEXT...`: scripts add an information / error line to the
//   module log through hamirrord; when it is not running, straight into the log file
//   (the line must not be lost because the daemon is down: stop_prim runs then too).
#pragma once

#include "cli/verb.h"

namespace hamirror::cli {

void add_log_verbs(CLI::App& app, Verbs& verbs);

}  // namespace hamirror::cli
