// `hamirror state`: this node's and the peer's state, with reintegration progress.
// Exit code: SafeKit's STOP 0, WAIT 1, ALONE 2, PRIM 3, SECOND 4; 10 when hamirrord is
// not running, 11 when it answered with an error, 2 when the node file is unreadable.
#pragma once

#include "cli/verb.h"

namespace hamirror::cli {

void add_state_verb(CLI::App& app, Verbs& verbs);

}  // namespace hamirror::cli
