// hamirrord: the cluster node daemon (`run`) and the witness service (`witness`).
#include <uv.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "daemon/node_daemon.h"
#include "daemon/witness_service.h"

namespace {

// Scripts get it as SAFE / SAFEBIN: they call the hamirror CLI found there.
std::string install_dir() {
  char path[4096];
  size_t size = sizeof path;
  if (uv_exepath(path, &size) != 0) return {};
  return std::filesystem::path(std::string(path, size)).parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hamirrord: the hamirror cluster node daemon and witness service"};
  app.name("hamirrord");
  app.require_subcommand(1);

  hamirror::daemon::NodeDaemonOptions node_options;
  auto* run = app.add_subcommand("run", "Run this cluster node in the foreground until SIGTERM / SIGINT");
  run->add_option("--node", node_options.node_file, "this node's TOML file")->required()->type_name("FILE");
  run->add_option("--module", node_options.module_file, "the module's userconfig.xml")->required()->type_name("FILE");
  run->add_option("--mount-prefix", node_options.mount_prefix,
                  "mount each replicated directory at DIR/<dir> instead of <dir> (two nodes on one machine)")
      ->type_name("DIR");

  std::string witness_config;
  auto* witness = app.add_subcommand("witness", "Run the split-brain witness (on a third machine) until SIGTERM / SIGINT");
  witness->add_option("--config", witness_config, "the witness's TOML file")->required()->type_name("FILE");

  CLI11_PARSE(app, argc, argv);
  if (run->parsed()) {
    node_options.install_dir = install_dir();
    return hamirror::daemon::run_node_daemon(node_options);
  }
  return hamirror::daemon::run_witness(witness_config);
}
