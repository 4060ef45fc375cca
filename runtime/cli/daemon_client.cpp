#include "cli/daemon_client.h"

#include <httplib.h>

#include <cstdio>
#include <cstdlib>

#include "config/node_config_parser.h"
#include "config/text_file.h"
#include "cli/verb.h"

namespace hamirror::cli {
namespace {

// The daemon answers from its loop within 5 s (control_server.h); a little more here.
constexpr int kReadTimeoutS = 7;
constexpr int kConnectTimeoutS = 2;

}  // namespace

void add_node_option(CLI::App& command, std::string& target) {
  command
      .add_option("--node", target,
                  std::string("this node's TOML file (default: $") + kNodeFileVariable + ", else " + paths::default_node_file() + ")")
      ->type_name("FILE");
}

std::string node_file_path(const std::string& option) {
  return paths::choose_node_file(option, std::getenv(kNodeFileVariable));
}

std::optional<config::NodeConfig> load_node_config(const std::string& option) {
  const std::string path = node_file_path(option);
  config::Diagnostics diagnostics;
  const auto text = config::read_config_file(path, diagnostics);
  if (!text) {
    std::fputs(diagnostics.to_string().c_str(), stderr);
    std::fprintf(stderr, "hamirror: give this node's TOML file with --node FILE or $%s\n", kNodeFileVariable);
    return std::nullopt;
  }
  auto parsed = config::parse_node_config(*text, path);
  if (!parsed.config) {
    std::fputs(parsed.diagnostics.to_string().c_str(), stderr);
    return std::nullopt;
  }
  return parsed.config;
}

DaemonAnswer call_daemon(std::uint16_t console_port, const std::string& method, const std::string& path,
                         const std::string& body) {
  httplib::Client client("127.0.0.1", console_port);
  client.set_connection_timeout(kConnectTimeoutS, 0);
  client.set_read_timeout(kReadTimeoutS, 0);
  const httplib::Headers headers{{"Accept", "text/plain"}};
  auto result = method == "GET" ? client.Get(path, headers) : client.Post(path, headers, body, "text/plain");
  if (!result) return DaemonAnswer{};
  return DaemonAnswer{true, result->status, result->body, result->get_header_value("Hamirror-State")};
}

int report_command_answer(const DaemonAnswer& answer, std::uint16_t console_port, const std::string& node_file) {
  if (!answer.reached) {
    std::fprintf(stderr, "%s\n", daemon_not_running_message(console_port, node_file).c_str());
    return kExitDaemonNotRunning;
  }
  if (answer.status == 200) {
    std::fputs(answer.body.c_str(), stdout);
    return kExitOk;
  }
  std::fprintf(stderr, "hamirror: %s", answer.body.c_str());
  return answer.status == 409 ? kExitRefused : kExitDaemonError;
}

std::string daemon_not_running_message(std::uint16_t console_port, const std::string& node_file) {
  return "hamirror: hamirrord is not running on this node (nothing answers on 127.0.0.1:" +
         std::to_string(console_port) + ", console_port of " + node_file +
         "); start it with `systemctl start hamirrord` or `hamirrord run --node FILE --module FILE`";
}

}  // namespace hamirror::cli
