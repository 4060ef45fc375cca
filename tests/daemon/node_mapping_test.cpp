// The production mapping from the configuration files to core::NodeConfig.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "config/node_config_parser.h"
#include "config/userconfig_parser.h"
#include "daemon/node_mapping.h"

namespace hamirror::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNodeToml = R"(
[node]
name = "node1"
state_dir = "/var/lib/hamirror"
log_dir = "/var/log/hamirror"
insecure = true
replication_port = 7011
heartbeat_port = 7012

[peer]
name = "node2"
replication_port = 8011
heartbeat_port = 8012

[networks.default]
node = "192.168.1.10"
peer = "192.168.1.11"

[networks.backup]
node = "10.0.0.10"
peer = "peer-by-name"

[witness]
addresses = ["192.168.1.30:9020"]
)";

constexpr const char* kUserconfig = R"(<safe><service mode="mirror" defaultprim="node2" maxloop="5" loop_interval="2" failover="off">
  <heart pulse="100" timeout="1500"><heartbeat name="default"/><heartbeat name="backup" ident="flow"/></heart>
  <vip><interface_list><interface><real_interface><virtual_addr addr="192.168.1.100" where="one_side_alias"/></real_interface></interface></interface_list></vip>
  <errd polltimer="7"><proc name="appd" atleast="2" action="stopstart" class="prim"/></errd>
  <rfs async="none"><replicated dir="/srv/a" mode="read_only"/><replicated dir="/srv/b" mode="read_only"/></rfs>
  <user nicestoptimeout="11" forcestoptimeout="12" logging="userlog"/>
</service></safe>)";

std::optional<std::string> test_resolver(const std::string& host) {
  if (host == "peer-by-name") return std::string("10.0.0.11");
  if (host.find_first_not_of("0123456789.") == std::string::npos) return host;
  return std::nullopt;
}

struct Parsed {
  config::NodeConfig node;
  config::ModuleConfig module;
};

Parsed parse() {
  auto node = config::parse_node_config(kNodeToml, "node1.toml", config::PathStyle::posix);
  config::UserconfigOptions options;
  options.path_style = config::PathStyle::posix;
  auto module = config::parse_userconfig(kUserconfig, "userconfig.xml", options);
  EXPECT_TRUE(node.config.has_value()) << node.diagnostics.to_string();
  EXPECT_TRUE(module.config.has_value()) << module.diagnostics.to_string();
  return {*node.config, *module.config};
}

TEST(NodeMapping, every_setting_reaches_the_core_config) {
  const Parsed parsed = parse();
  const daemon::ModuleLocation location{"web", "/etc/hamirror/web", "/etc/hamirror/web/bin"};
  const auto mapped = daemon::map_node_config(parsed.node, parsed.module, location, "/opt/hamirror", test_resolver);
  ASSERT_TRUE(mapped.config.has_value()) << mapped.error;
  const core::NodeConfig& c = *mapped.config;
  EXPECT_EQ(c.name, "node1");
  EXPECT_EQ(c.peer, "node2");
  ASSERT_EQ(c.heartbeat_networks.size(), 2u);
  EXPECT_EQ(c.heartbeat_networks[0].local, (io::Address{"192.168.1.10", 7012}));
  EXPECT_EQ(c.heartbeat_networks[0].peer, (io::Address{"192.168.1.11", 8012}));
  EXPECT_EQ(c.heartbeat_networks[1].peer, (io::Address{"10.0.0.11", 8012})) << "host names are resolved";
  EXPECT_EQ(c.replication_local, (io::Address{"10.0.0.10", 7011})) << "replication runs on the flow network";
  EXPECT_EQ(c.replication_peer, (io::Address{"10.0.0.11", 8011}));
  EXPECT_EQ(c.pulse_ms, 100);
  EXPECT_EQ(c.timeout_ms, 1500);
  ASSERT_EQ(c.roots.size(), 2u);
  EXPECT_EQ(fs::path(c.roots[1]), fs::path("/var/lib/hamirror/data/1"));
  EXPECT_EQ(fs::path(c.state_dir), fs::path("/var/lib/hamirror/node"));
  EXPECT_EQ(c.async_mode, core::AsyncMode::none);
  EXPECT_EQ(c.policy.default_prim, core::DefaultPrim::node);
  EXPECT_EQ(c.policy.default_prim_node, "node2");
  EXPECT_FALSE(c.policy.failover);
  EXPECT_EQ(c.vip.address, "192.168.1.100");
  EXPECT_EQ(c.application.nice_stop_timeout_ms, 11'000);
  EXPECT_EQ(c.application.force_stop_timeout_ms, 12'000);
  EXPECT_EQ(c.application.environment.module_name, "web");
  EXPECT_EQ(c.application.environment.bin_dir, "/opt/hamirror");
  EXPECT_TRUE(c.application.start_prim.empty()) << "no bin/start_prim: nothing to run";
  EXPECT_EQ(c.errd.poll_interval_ms, 7'000);
  EXPECT_EQ(c.errd.max_loop, 5u);
  EXPECT_EQ(c.errd.loop_interval_ms, 2 * 3'600'000);
  ASSERT_EQ(c.errd.processes.size(), 1u);
  EXPECT_EQ(c.errd.processes[0].at_least, 2u);
  EXPECT_EQ(c.errd.processes[0].action, core::ProcessAction::stopstart);
  ASSERT_TRUE(c.witness.has_value());
  EXPECT_EQ(c.witness->server, (io::Address{"192.168.1.30", 9020}));
}

TEST(NodeMapping, a_name_that_does_not_resolve_is_an_error_naming_it) {
  const Parsed parsed = parse();
  const auto mapped = daemon::map_node_config(parsed.node, parsed.module, {}, "", [](const std::string& host) {
    return host == "192.168.1.11" ? std::nullopt : test_resolver(host);
  });
  EXPECT_FALSE(mapped.config.has_value());
  EXPECT_NE(mapped.error.find("192.168.1.11"), std::string::npos) << mapped.error;
}

TEST(NodeMapping, the_module_is_the_folder_above_conf_and_its_scripts_are_in_bin) {
  std::random_device random;
  const fs::path module = fs::temp_directory_path() / ("hamirror-module-" + std::to_string(random())) / "web";
  fs::create_directories(module / "conf");
  fs::create_directories(module / "bin");
  std::ofstream(module / "bin" / "start_prim") << "#!/bin/sh\n";
  const auto location = daemon::locate_module((module / "conf" / "userconfig.xml").string());
  EXPECT_EQ(location.name, "web");
  EXPECT_EQ(fs::path(location.scripts_dir), module / "bin");
  const Parsed parsed = parse();
  const auto mapped = daemon::map_node_config(parsed.node, parsed.module, location, "", test_resolver);
  ASSERT_TRUE(mapped.config.has_value());
  EXPECT_EQ(fs::path(mapped.config->application.start_prim), module / "bin" / "start_prim");
  EXPECT_TRUE(mapped.config->application.stop_prim.empty());
  fs::remove_all(module.parent_path());
}

}  // namespace
}  // namespace hamirror::test
