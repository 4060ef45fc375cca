// The node's TOML file: its schema, its errors at file:line:column, and how it must fit
// the module's userconfig.xml.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/cross_check.h"
#include "config/node_config_parser.h"
#include "config/userconfig_parser.h"
#include "test_files.h"

namespace hamirror::config {
namespace {

using test::printed;
using test::replace_all;
using Lines = std::vector<std::string>;

const std::string kNode =
    "[node]\n"                             // 1
    "name = \"node1\"\n"                   // 2
    "state_dir = \"/var/lib/hamirror\"\n"  // 3
    "log_dir = \"/var/log/hamirror\"\n"    // 4
    "insecure = true\n"                    // 5: no cluster key (key_file_setting_test.cpp)
    "[peer]\n"                             // 6
    "name = \"node2\"\n"                   // 7
    "\n"                                   // 8
    "[networks.default]\n"                 // 9
    "node = \"192.168.1.10\"\n"            // 10
    "peer = \"192.168.1.11\"\n";           // 11

NodeConfigResult parse(const std::string& text, PathStyle style = PathStyle::posix) {
  return parse_node_config(text, "n.toml", style);
}

std::string with(const std::string& from, const std::string& to) { return replace_all(kNode, from, to); }

TEST(NodeConfig, a_minimal_file_loads_with_default_ports) {
  const auto result = parse(kNode);
  EXPECT_EQ(printed(result.diagnostics), Lines{});
  ASSERT_TRUE(result.config.has_value());
  const auto& node = *result.config;
  EXPECT_EQ(node.name, "node1");
  EXPECT_EQ(node.peer_name, "node2");
  EXPECT_EQ(node.state_dir, "/var/lib/hamirror");
  EXPECT_EQ(node.log_dir, "/var/log/hamirror");
  EXPECT_EQ(node.console_port, 9010);
  EXPECT_EQ(node.replication_port, 9011);
  EXPECT_EQ(node.heartbeat_port, 9012);
  EXPECT_EQ(node.peer_replication_port, 9011);
  EXPECT_EQ(node.peer_heartbeat_port, 9012);
  ASSERT_EQ(node.networks.size(), 1u);
  EXPECT_EQ(node.networks[0].name, "default");
  EXPECT_EQ(node.networks[0].node_address, "192.168.1.10");
  EXPECT_EQ(node.networks[0].peer_address, "192.168.1.11");
  EXPECT_EQ(node.networks[0].line, 9);
  EXPECT_TRUE(node.witnesses.empty());
}

TEST(NodeConfig, ports_and_witnesses_are_read_and_the_peer_ports_follow_ours_by_default) {
  const auto result = parse(with("[peer]\n", "replication_port = 7001\nconsole_port = 7000\n\n[peer]\nheartbeat_port = 8002\n") +
                            "\n[witness]\naddresses = [\"192.168.1.30:9020\", \"[fd00::30]:9020\", \"witness.example:9021\"]\n");
  EXPECT_EQ(printed(result.diagnostics), Lines{});
  ASSERT_TRUE(result.config.has_value());
  EXPECT_EQ(result.config->console_port, 7000);
  EXPECT_EQ(result.config->replication_port, 7001);
  EXPECT_EQ(result.config->peer_replication_port, 7001);
  EXPECT_EQ(result.config->peer_heartbeat_port, 8002);
  ASSERT_EQ(result.config->witnesses.size(), 3u);
  EXPECT_EQ(result.config->witnesses[1].host, "fd00::30");
  EXPECT_EQ(result.config->witnesses[2].port, 9021);
}

TEST(NodeConfig, a_missing_node_name_is_reported_at_the_node_table) {
  EXPECT_EQ(printed(parse(with("name = \"node1\"\n", "")).diagnostics),
            Lines{"n.toml:1:1: error: [node] needs name = \"...\""});
}

TEST(NodeConfig, a_bad_port_is_an_error_at_its_value) {
  EXPECT_EQ(printed(parse(with("log_dir", "console_port = 70000\nlog_dir")).diagnostics),
            Lines{"n.toml:4:16: error: [node] console_port = 70000 is not a port number: write an integer from 1 to "
                  "65535"});
  EXPECT_EQ(printed(parse(with("log_dir", "replication_port = \"9011\"\nlog_dir")).diagnostics),
            Lines{"n.toml:4:20: error: [node] replication_port must be a port number (an integer from 1 to 65535), "
                  "not a string"});
}

TEST(NodeConfig, every_problem_comes_out_in_one_pass) {
  const std::string text =
      "[node]\n"
      "name = \"node 1\"\n"
      "state_dir = \"var/lib\"\n"
      "log_dir = 5\n"
      "colour = \"red\"\n"
      "[peer]\n"
      "name = \"node2\"\n"
      "[networks.default]\n"
      "node = \"10.0.0.300\"\n"
      "[witness]\n"
      "addresses = [\"10.0.0.30\", 7]\n";
  EXPECT_EQ(printed(parse(text).diagnostics),
            (Lines{
                "n.toml:1:1: error: [node] needs key_file = \"/etc/hamirror/cluster.key\": the cluster key that "
                "authenticates the peer and the witness (make it with `hamirror genkey`, copy it to both nodes and the "
                "witness); or insecure = true to run without authentication (a lab, a test)",
                "n.toml:2:8: error: [node] name = \"node 1\" is not a valid node name: 1 to 63 letters, digits, '.', "
                "'_' or '-'",
                "n.toml:3:13: error: [node] state_dir = \"var/lib\" is not an absolute path: write a path that starts "
                "with '/'",
                "n.toml:4:11: error: [node] log_dir must be a string, not an integer",
                "n.toml:5:1: warning: unknown key colour in [node]: ignored",
                "n.toml:8:1: error: [networks.default] needs peer = \"...\"",
                "n.toml:9:8: error: [networks.default] node = \"10.0.0.300\" is neither an IPv4 or IPv6 address nor a "
                "host name",
                "n.toml:11:14: error: [witness] addresses: \"10.0.0.30\" has no port: write host:port",
                "n.toml:11:27: error: [witness] addresses: each entry must be a \"host:port\" string",
            }));
}

TEST(NodeConfig, a_toml_syntax_error_gives_its_position) {
  EXPECT_EQ(printed(parse("[node]\nname = \"a\"\nname = \"b\"\n").diagnostics),
            Lines{"n.toml:3:8: error: TOML syntax error: Error while parsing key-value pair: cannot redefine existing "
                  "string 'name'"});
  const auto unterminated = parse("[node]\nname = \"a\n");
  ASSERT_EQ(unterminated.diagnostics.items().size(), 1u);
  EXPECT_EQ(unterminated.diagnostics.items()[0].line, 2);
  EXPECT_GT(unterminated.diagnostics.items()[0].column, 0);
}

TEST(NodeConfig, inputs_that_break_the_toml_library_are_syntax_errors_before_it_sees_them) {
  // toml++ 3.3 asserts (undefined behaviour in release builds) on these: see toml_preflight.h.
  EXPECT_EQ(printed(parse(with("[peer]", "[=peer]")).diagnostics),
            Lines{"n.toml:6:1: error: TOML syntax error: a table header needs a name after '[': write [name]"});
  EXPECT_EQ(printed(parse(with("[peer]", "[\npeer]")).diagnostics),
            Lines{"n.toml:6:1: error: TOML syntax error: a table header needs a name after '[': write [name]"});
  EXPECT_EQ(printed(parse(kNode + "[[#x]]\n").diagnostics),
            Lines{"n.toml:12:1: error: TOML syntax error: a table header needs a name after '[': write [name]"});
  EXPECT_EQ(printed(parse(kNode + "[witness]\naddresses = [\n  }\n]\n").diagnostics),
            Lines{"n.toml:14:3: error: TOML syntax error: '}' inside an array: close the array with ']'"});
  // An earlier error is still the one reported.
  EXPECT_EQ(printed(parse("[node]\nname = \"a\"\nname = \"b\"\n[=x]\n").diagnostics),
            Lines{"n.toml:3:8: error: TOML syntax error: Error while parsing key-value pair: cannot redefine existing "
                  "string 'name'"});
  // Brackets in strings, comments and values are not headers.
  const auto result = parse(with("log_dir", "note = \"\"\"\n[=\"\"\"\n# [=\nlist = [\n  [1], { a = 2 }\n]\nlog_dir"));
  EXPECT_EQ(printed(result.diagnostics), (Lines{"n.toml:4:1: warning: unknown key note in [node]: ignored",
                                                "n.toml:7:1: warning: unknown key list in [node]: ignored"}));
}

TEST(NodeConfig, missing_tables_are_errors) {
  EXPECT_EQ(printed(parse("").diagnostics),
            (Lines{"n.toml:1:1: error: missing table [node]", "n.toml:1:1: error: missing table [peer]",
                   "n.toml:1:1: error: missing table [networks]"}));
}

TEST(NodeConfig, the_peer_needs_its_own_name_and_other_ports_on_the_same_address) {
  EXPECT_EQ(printed(parse(with("name = \"node2\"", "name = \"node1\"")).diagnostics),
            Lines{"n.toml:7:8: error: [peer] name = \"node1\" is this node's own name: the peer needs another name"});
  const auto same_machine = with("192.168.1.11", "192.168.1.10");
  EXPECT_EQ(printed(parse(same_machine).diagnostics),
            (Lines{"n.toml:6:1: error: [peer] replication_port is 9011, the same as this node's, while both have address "
                   "192.168.1.10 on network default: this node would talk to itself",
                   "n.toml:6:1: error: [peer] heartbeat_port is 9012, the same as this node's, while both have address "
                   "192.168.1.10 on network default: this node would talk to itself"}));
  const auto other_ports = replace_all(same_machine, "name = \"node2\"\n",
                                       "name = \"node2\"\nreplication_port = 9021\nheartbeat_port = 9022\n");
  EXPECT_EQ(printed(parse(other_ports).diagnostics), Lines{});
}

TEST(NodeConfig, crlf_and_a_byte_order_mark_load_fine) {
  const auto result = parse("\xEF\xBB\xBF" + replace_all(kNode, "\n", "\r\n"));
  EXPECT_EQ(printed(result.diagnostics), Lines{});
  EXPECT_TRUE(result.config.has_value());
}

TEST(NodeConfig, directories_follow_the_platform_path_rule) {
  const auto windows = parse(with("\"/var/lib/hamirror\"", "'C:\\ProgramData\\hamirror'"), PathStyle::windows);
  EXPECT_EQ(printed(windows.diagnostics),
            Lines{"n.toml:4:11: error: [node] log_dir = \"/var/log/hamirror\" is a Linux path, not an absolute path on "
                  "Windows: write a drive and a path, such as C:\\data"});
}

TEST(NodeConfig, any_byte_replaced_anywhere_is_handled_without_a_crash) {
  const auto example = test::read_file(test::example_path("node1.toml"));
  ASSERT_FALSE(example.empty());
  for (std::size_t at = 0; at < example.size(); ++at) {
    for (const char replacement : {'[', ']', '"', '=', '\n', '#', '0', '\0', '\xE2'}) {
      auto text = example;
      text[at] = replacement;
      const auto result = parse(text);
      ASSERT_EQ(result.config.has_value(), !result.diagnostics.has_errors()) << "byte " << at;
    }
  }
}

// userconfig.xml with heartbeat networks "default" (line 4, flow) and "backup" (line 5).
const std::string kModule =
    "<safe>\n"
    "  <service mode=\"mirror\" defaultprim=\"node1\">\n"
    "    <heart>\n"
    "      <heartbeat name=\"default\" ident=\"flow\"/>\n"
    "      <heartbeat name=\"backup\"/>\n"
    "    </heart>\n"
    "    <rfs><replicated dir=\"/srv/data\"/></rfs>\n"
    "  </service>\n"
    "</safe>\n";

Lines cross_check(const std::string& node_text, const std::string& module_text = kModule) {
  const auto module = parse_userconfig(module_text, "u.xml", {PathStyle::posix, {}});
  const auto node = parse(node_text);
  EXPECT_TRUE(module.config.has_value()) << module.diagnostics.to_string();
  EXPECT_TRUE(node.config.has_value()) << node.diagnostics.to_string();
  if (!module.config || !node.config) return {"(did not load)"};
  Diagnostics diagnostics;
  check_node_against_module(*node.config, *module.config, {"u.xml", "n.toml"}, PathStyle::posix, diagnostics);
  return printed(diagnostics);
}

TEST(NodeConfigCrossCheck, every_heartbeat_network_needs_addresses_in_the_node_file) {
  EXPECT_EQ(cross_check(kNode),
            Lines{"n.toml:9: error: no [networks.backup] for the heartbeat network declared at u.xml:5: add "
                  "[networks.backup] with node = \"this node's address\" and peer = \"the peer's address\""});
  const auto both = kNode + "[networks.backup]\nnode = \"10.0.0.10\"\npeer = \"10.0.0.11\"\n";
  EXPECT_EQ(cross_check(both), Lines{});
  EXPECT_EQ(cross_check(both + "[networks.spare]\nnode = \"10.1.0.10\"\npeer = \"10.1.0.11\"\n"),
            Lines{"n.toml:15:1: warning: [networks.spare] is not a <heartbeat> network of u.xml: ignored"});
}

TEST(NodeConfigCrossCheck, defaultprim_must_name_one_of_the_two_nodes) {
  const auto both = kNode + "[networks.backup]\nnode = \"10.0.0.10\"\npeer = \"10.0.0.11\"\n";
  EXPECT_EQ(cross_check(both, replace_all(kModule, "defaultprim=\"node1\"", "defaultprim=\"node3\"")),
            Lines{"u.xml:2: error: <service> defaultprim=\"node3\" is neither this node (node1) nor its peer (node2) "
                  "as n.toml names them"});
}

TEST(NodeConfigCrossCheck, state_and_log_directories_stay_out_of_replicated_ones) {
  const auto both = kNode + "[networks.backup]\nnode = \"10.0.0.10\"\npeer = \"10.0.0.11\"\n";
  EXPECT_EQ(cross_check(replace_all(both, "/var/lib/hamirror", "/srv/data/.hamirror")),
            Lines{"n.toml:3: error: [node] state_dir = \"/srv/data/.hamirror\" lies inside the replicated directory "
                  "\"/srv/data\" of u.xml: keep them apart"});
  EXPECT_EQ(cross_check(replace_all(both, "/var/log/hamirror", "/srv")),
            Lines{"n.toml:4: error: [node] log_dir = \"/srv\" contains the replicated directory \"/srv/data\" of u.xml: "
                  "keep them apart"});
}

}  // namespace
}  // namespace hamirror::config
