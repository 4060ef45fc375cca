// hamirrord: the cluster node daemon (`run`) and the witness service (`witness`).
#include <uv.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "daemon/node_daemon.h"
#include "daemon/witness_service.h"
#ifdef _WIN32
#include "daemon/windows_service.h"
#endif

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
  auto* node_option = run->add_option("--node", node_options.node_file, "this node's TOML file")->type_name("FILE");
  auto* module_option = run->add_option("--module", node_options.module_file, "the module's userconfig.xml")->type_name("FILE");
  run->add_option("--mount-prefix", node_options.mount_prefix,
                  "mount each replicated directory at DIR/<dir> instead of <dir> (two nodes on one machine)")
      ->type_name("DIR");

  std::string witness_config;
  auto* witness = app.add_subcommand("witness", "Run the split-brain witness (on a third machine) until SIGTERM / SIGINT");
  witness->add_option("--config", witness_config, "the witness's TOML file")->required()->type_name("FILE");

#ifdef _WIN32
  // Windows: the service verbs, and %ProgramData%\hamirror defaults for the two files.
  namespace daemon = hamirror::daemon;
  node_options.node_file = daemon::default_node_file();
  node_options.module_file = daemon::default_module_file();
  node_option->capture_default_str();
  module_option->capture_default_str();

  daemon::ServiceInstallOptions install_options;
  install_options.node_file = node_options.node_file;
  install_options.module_file = node_options.module_file;
  auto* install = app.add_subcommand("install", "Register hamirrord as the Windows service \"hamirror\" (elevated prompt)");
  install->add_option("--node", install_options.node_file, "this node's TOML file")->capture_default_str()->type_name("FILE");
  install->add_option("--module", install_options.module_file, "the module's userconfig.xml")
      ->capture_default_str()
      ->type_name("FILE");
  install->add_flag("--auto-start", install_options.auto_start, "start with Windows (default: manual, sc start hamirror)");

  std::string service_name = daemon::kDefaultServiceName;
  auto* uninstall = app.add_subcommand("uninstall", "Stop the Windows service cleanly and remove it (elevated prompt)");
  auto* service = app.add_subcommand("service", "The entry the Service Control Manager starts (not for a console)");
  service->add_option("--node", node_options.node_file, "this node's TOML file")->type_name("FILE");
  service->add_option("--module", node_options.module_file, "the module's userconfig.xml")->type_name("FILE");
  for (auto* verb : {install, uninstall, service}) {
    verb->add_option("--service-name", verb == install ? install_options.service_name : service_name,
                     "the service's name (tests; default: hamirror)")
        ->type_name("NAME");
  }
#else
  node_option->required();
  module_option->required();
#endif

  CLI11_PARSE(app, argc, argv);
  if (run->parsed()) {
    node_options.install_dir = install_dir();
    return hamirror::daemon::run_node_daemon(node_options);
  }
#ifdef _WIN32
  if (install->parsed()) return daemon::install_service(install_options);
  if (uninstall->parsed()) return daemon::uninstall_service(service_name);
  if (service->parsed()) {
    node_options.install_dir = install_dir();
    return daemon::run_as_service(service_name, node_options);
  }
#endif
  return hamirror::daemon::run_witness(witness_config);
}
