// The admin's commands to the local hamirrord: start, stop, prim, primforce, second,
// swap, failover on|off. Exit code 0 when accepted, 1 when refused (the reason is
// printed), 10 when hamirrord is not running, 11 when it answered with an error.
#pragma once

#include "cli/verb.h"

namespace hamirror::cli {

void add_admin_verbs(CLI::App& app, Verbs& verbs);

}  // namespace hamirror::cli
