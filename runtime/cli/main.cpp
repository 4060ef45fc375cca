// hamirror: the administration command. Each verb group adds itself from its own file
// (confcheck_verb.cpp, ...); main only parses and dispatches.
#include <CLI/CLI.hpp>

#include "cli/admin_verbs.h"
#include "cli/confcheck_verb.h"
#include "cli/genkey_verb.h"
#include "cli/log_verbs.h"
#include "cli/snapshot_verb.h"
#include "cli/state_verb.h"
#include "cli/verb.h"

int main(int argc, char** argv) {
  using namespace hamirror::cli;
  CLI::App app{"hamirror: administer a two-node mirror cluster"};
  app.name("hamirror");
  app.require_subcommand(1);
  Verbs verbs;
  add_confcheck_verb(app, verbs);
  add_genkey_verb(app, verbs);
  add_state_verb(app, verbs);
  add_admin_verbs(app, verbs);
  add_log_verbs(app, verbs);
  add_snapshot_verb(app, verbs);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and the usage hint
    return kExitUsage;
  }
  for (const auto& verb : verbs) {
    if (verb.subcommand->parsed()) return verb.run();
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}
