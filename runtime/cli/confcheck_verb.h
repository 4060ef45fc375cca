// hamirror confcheck --userconfig FILE [--node FILE]: checks the configuration files
// without starting anything. Diagnostics go to stderr, gcc-style; "OK: ..." to stdout.
// Exit 0 when there are no errors (warnings allowed), kExitConfigErrors otherwise.
#pragma once

#include "cli/verb.h"

namespace hamirror::cli {

void add_confcheck_verb(CLI::App& app, Verbs& verbs);

}  // namespace hamirror::cli
