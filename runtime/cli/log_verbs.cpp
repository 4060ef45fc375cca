#include "cli/log_verbs.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/daemon_client.h"
#include "daemon/log_file.h"

namespace hamirror::cli {
namespace {

namespace fs = std::filesystem;

constexpr auto kFollowPoll = std::chrono::milliseconds(200);

struct LogviewOptions {
  std::string node;
  bool follow = false;
  bool application = false;
};

// Copies what `in` holds past `offset` to stdout; returns the new offset.
std::uintmax_t copy_from(const fs::path& path, std::uintmax_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return offset;
  in.seekg(static_cast<std::streamoff>(offset));
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    std::fwrite(buffer, 1, static_cast<std::size_t>(in.gcount()), stdout);
    offset += static_cast<std::uintmax_t>(in.gcount());
  }
  std::fflush(stdout);
  return offset;
}

int run_logview(const LogviewOptions& options) {
  const auto node = load_node_config(options.node);
  if (!node) return kExitNodeConfig;
  const fs::path path = fs::path(node->log_dir) / (options.application ? daemon::kApplicationLogName : daemon::kModuleLogName);
  std::error_code error;
  if (!fs::exists(path, error) && !options.follow) {
    std::fprintf(stderr, "hamirror: no log yet at %s (log_dir of %s): hamirrord has not run on this node\n",
                 path.string().c_str(), node_file_path(options.node).c_str());
    return kExitRefused;
  }
  std::uintmax_t offset = copy_from(path, 0);
  while (options.follow) {
    std::this_thread::sleep_for(kFollowPoll);  // a user watching, not a test: polling the size is enough
    const std::uintmax_t size = fs::file_size(path, error);
    if (error) continue;               // between a rotation's rename and the next line
    if (size < offset) offset = 0;     // rotated: the new file starts over
    if (size > offset) offset = copy_from(path, offset);
  }
  return kExitOk;
}

int run_print(const std::string& node_option, const std::vector<std::string>& words, bool error_line) {
  const auto node = load_node_config(node_option);
  if (!node) return kExitNodeConfig;
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
  const auto answer =
      call_daemon(node->console_port, "POST", error_line ? "/api/v1/log/error" : "/api/v1/log/info", text);
  if (answer.reached && answer.status == 200) return kExitOk;
  if (answer.reached) {
    std::fprintf(stderr, "hamirror: %s", answer.body.c_str());
    return kExitDaemonError;
  }
  daemon::LogFile log((fs::path(node->log_dir) / daemon::kModuleLogName).string());
  log.write(error_line ? io::Severity::error : io::Severity::info, text);
  return kExitOk;
}

void add_print_verb(CLI::App& app, Verbs& verbs, const std::string& name, bool error_line) {
  auto node_option = std::make_shared<std::string>();
  auto words = std::make_shared<std::vector<std::string>>();
  auto* command = app.add_subcommand(name, error_line ? "Add an error line to the module log (for scripts)"
                                                      : "Add an information line to the module log (for scripts)");
  command->add_option("text", *words, "the line")->required();
  add_node_option(*command, *node_option);
  verbs.push_back({command, [node_option, words, error_line] { return run_print(*node_option, *words, error_line); }});
}

}  // namespace

void add_log_verbs(CLI::App& app, Verbs& verbs) {
  auto options = std::make_shared<LogviewOptions>();
  auto* logview = app.add_subcommand("logview", "Print the module log (state changes, reasons, reintegration, errors)");
  logview->add_flag("-f,--follow", options->follow, "keep printing new lines until Ctrl-C");
  logview->add_flag("--application", options->application, "the application log (script output) instead");
  add_node_option(*logview, options->node);
  verbs.push_back({logview, [options] { return run_logview(*options); }});
  add_print_verb(app, verbs, "printi", false);
  add_print_verb(app, verbs, "printe", true);
}

}  // namespace hamirror::cli
