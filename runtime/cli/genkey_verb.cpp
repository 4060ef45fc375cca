#include "cli/genkey_verb.h"

#include <cstdio>
#include <memory>
#include <string>

#include "auth/cluster_key.h"

namespace hamirror::cli {
namespace {

constexpr int kExitKeyNotMade = 1;

struct GenkeyOptions {
  std::string out;
  bool force = false;
};

int run_genkey(const GenkeyOptions& options) {
  const auto key = auth::generate_key();
  if (!key) {
    std::fputs("hamirror genkey: the operating system's random generator failed; no key was made\n", stderr);
    return kExitKeyNotMade;
  }
  if (options.out.empty()) {
    std::printf("%s\n", auth::to_hex(*key).c_str());
    return kExitOk;
  }
  if (const auto error = auth::write_key_file(options.out, *key, options.force); !error.empty()) {
    std::fprintf(stderr, "hamirror genkey: %s\n", error.c_str());
    return kExitKeyNotMade;
  }
  std::fprintf(stderr,
               "hamirror genkey: wrote a new cluster key to %s (readable by its owner only).\n"
               "Copy it to the same path on the other node, keeping it private (e.g. scp -p), then restart both.\n",
               options.out.c_str());
  return kExitOk;
}

}  // namespace

void add_genkey_verb(CLI::App& app, Verbs& verbs) {
  auto options = std::make_shared<GenkeyOptions>();
  auto* command = app.add_subcommand("genkey", "Make a new cluster key for authenticating the nodes to each other");
  command->add_option("--out,-o", options->out, "write the key to FILE (mode 0600) instead of printing it")->type_name("FILE");
  command->add_flag("--force", options->force, "replace FILE if it exists (every node then needs the new key)");
  verbs.push_back({command, [options] { return run_genkey(*options); }});
}

}  // namespace hamirror::cli
