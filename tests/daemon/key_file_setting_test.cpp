// The node TOML's key_file setting (the cluster key the daemon authenticates with).
#include <gtest/gtest.h>

#include "config/node_config_parser.h"

namespace hamirror::test {
namespace {

std::string node_toml(const std::string& key_line) {
  return "[node]\nname = \"node1\"\nstate_dir = \"/var/lib/hamirror\"\nlog_dir = \"/var/log/hamirror\"\n" + key_line +
         "\n[peer]\nname = \"node2\"\n[networks.default]\nnode = \"10.0.0.1\"\npeer = \"10.0.0.2\"\n";
}

TEST(KeyFileSetting, an_absolute_key_file_is_kept_with_its_line) {
  const auto parsed = config::parse_node_config(node_toml("key_file = \"/etc/hamirror/cluster.key\""), "node1.toml",
                                                config::PathStyle::posix);
  ASSERT_TRUE(parsed.config.has_value()) << parsed.diagnostics.to_string();
  EXPECT_EQ(parsed.config->key_file, "/etc/hamirror/cluster.key");
  EXPECT_EQ(parsed.config->key_file_line, 5);
}

TEST(KeyFileSetting, is_optional) {
  const auto parsed = config::parse_node_config(node_toml(""), "node1.toml", config::PathStyle::posix);
  ASSERT_TRUE(parsed.config.has_value()) << parsed.diagnostics.to_string();
  EXPECT_TRUE(parsed.config->key_file.empty());
}

TEST(KeyFileSetting, a_relative_path_is_an_error_naming_file_line_and_key) {
  const auto parsed = config::parse_node_config(node_toml("key_file = \"cluster.key\""), "node1.toml", config::PathStyle::posix);
  EXPECT_FALSE(parsed.config.has_value());
  const std::string text = parsed.diagnostics.to_string();
  EXPECT_NE(text.find("node1.toml:5"), std::string::npos) << text;
  EXPECT_NE(text.find("key_file"), std::string::npos) << text;
  EXPECT_NE(text.find("cluster.key"), std::string::npos) << text;
}

}  // namespace
}  // namespace hamirror::test
