// `hamirror snapshot`: one tar.gz for support with this node's configuration (node
// TOML, userconfig.xml and the module's scripts), its logs (rotated ones included),
// its persisted state (the generation record and activity log, not the replicated
// data) and the daemon's current state report when it runs.
// The archive is written by the system's `tar czf` (GNU tar on Linux, bsdtar on
// Windows 10+), run as a process: an archive library is not a dependency of hamirror.
#pragma once

#include "cli/verb.h"

namespace hamirror::cli {

void add_snapshot_verb(CLI::App& app, Verbs& verbs);

}  // namespace hamirror::cli
