// hamirror genkey [--out FILE] [--force]: makes a new cluster key (32 bytes from the
// OS generator, as 64 hex digits). With --out it is written to FILE, readable by its
// owner only, and an existing FILE is kept unless --force; without --out it is printed
// on stdout. The admin copies the file to the same path on both nodes (and the
// witness). Exit 0 on success, 1 when no key could be made or written.
#pragma once

#include "cli/verb.h"

namespace hamirror::cli {

void add_genkey_verb(CLI::App& app, Verbs& verbs);

}  // namespace hamirror::cli
