#include "cli/snapshot_verb.h"

#include <uv.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cli/daemon_client.h"
#include "cli/default_paths.h"
#include "daemon/log_file.h"
#include "daemon/node_mapping.h"

namespace hamirror::cli {
namespace {

namespace fs = std::filesystem;

struct SnapshotOptions {
  std::string node;
  std::string module = paths::default_module_file();
  std::string output;
};

// Runs a program to its end; its exit status, or -1 when it could not be started.
int run_program(const std::vector<std::string>& argv) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  uv_stdio_container_t stdio[3];
  for (int fd = 0; fd < 3; ++fd) {
    stdio[fd].flags = UV_INHERIT_FD;
    stdio[fd].data.fd = fd;
  }
  uv_process_options_t options{};
  options.file = args[0];
  options.args = args.data();
  options.stdio_count = 3;
  options.stdio = stdio;
  int status = -1;
  options.exit_cb = [](uv_process_t* process, int64_t exit_status, int) {
    *static_cast<int*>(process->data) = static_cast<int>(exit_status);
    uv_close(reinterpret_cast<uv_handle_t*>(process), nullptr);
  };
  uv_process_t process;
  process.data = &status;
  if (uv_spawn(&loop, &process, &options) != 0) {
    uv_loop_close(&loop);
    return -1;
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return status;
}

// `-C parent name` for each existing path: the archive holds each under its own name.
void add_path(std::vector<std::string>& argv, const fs::path& path, const std::string& note) {
  std::error_code error;
  if (!fs::exists(path, error)) {
    std::fprintf(stderr, "hamirror snapshot: %s %s does not exist; left out\n", note.c_str(), path.string().c_str());
    return;
  }
  const fs::path absolute = fs::absolute(path).lexically_normal();
  argv.insert(argv.end(), {"-C", absolute.parent_path().string(), absolute.filename().string()});
}

int run_snapshot(const SnapshotOptions& options) {
  const auto node = load_node_config(options.node);
  if (!node) return kExitNodeConfig;
  std::string stamp = daemon::utc_timestamp_now();
  for (char& c : stamp) {
    if (c == ':') c = '-';
  }
  const std::string output = options.output.empty() ? "hamirror-snapshot-" + node->name + "-" + stamp + ".tar.gz" : options.output;

  std::random_device random;  // a unique scratch folder for the state report
  const fs::path scratch = fs::temp_directory_path() / ("hamirror-snapshot-" + std::to_string(random()));
  const fs::path info = scratch / "hamirror-snapshot-info";
  fs::create_directories(info);
  {
    const auto answer = call_daemon(node->console_port, "GET", "/api/v1/state");
    std::ofstream state(info / "state.txt");
    state << "snapshot taken " << daemon::utc_timestamp_now() << "\n"
          << (answer.reached ? answer.body : daemon_not_running_message(node->console_port, node_file_path(options.node)) + "\n");
  }

  std::vector<std::string> argv{"tar", "czf", output};
  add_path(argv, info, "the state report");
  add_path(argv, node_file_path(options.node), "the node file");
  const auto module = daemon::locate_module(options.module);
  add_path(argv, module.directory, "the module (userconfig.xml and scripts)");
  add_path(argv, node->log_dir, "the log directory");
  add_path(argv, daemon::node_state_dir(node->state_dir), "the persisted state");
  const int status = run_program(argv);
  std::error_code ignored;
  fs::remove_all(scratch, ignored);
  if (status != 0) {
    std::fprintf(stderr, "hamirror snapshot: %s (is tar installed?)\n",
                 status < 0 ? "cannot run tar" : ("tar failed with status " + std::to_string(status)).c_str());
    return kExitRefused;
  }
  std::printf("snapshot written to %s\n", output.c_str());
  return kExitOk;
}

}  // namespace

void add_snapshot_verb(CLI::App& app, Verbs& verbs) {
  auto options = std::make_shared<SnapshotOptions>();
  auto* command = app.add_subcommand(
      "snapshot", "Write a tar.gz of this node's configuration, logs and state for support (needs tar)");
  add_node_option(*command, options->node);
  command->add_option("--module", options->module, "the module's userconfig.xml")->capture_default_str()->type_name("FILE");
  command->add_option("-o,--output", options->output, "the archive (default: hamirror-snapshot-NODE-TIME.tar.gz here)")
      ->type_name("FILE");
  verbs.push_back({command, [options] { return run_snapshot(*options); }});
}

}  // namespace hamirror::cli
