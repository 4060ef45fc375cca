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

TEST(KeyFileSetting, is_required_naming_genkey_and_the_way_out) {
  const auto parsed = config::parse_node_config(node_toml(""), "node1.toml", config::PathStyle::posix);
  EXPECT_FALSE(parsed.config.has_value());
  const std::string text = parsed.diagnostics.to_string();
  EXPECT_NE(text.find("node1.toml:1:1: error: [node] needs key_file = "), std::string::npos) << text;
  EXPECT_NE(text.find("hamirror genkey"), std::string::npos) << text;
  EXPECT_NE(text.find("insecure = true"), std::string::npos) << text;
}

TEST(KeyFileSetting, insecure_true_runs_without_a_key_by_the_admins_explicit_choice) {
  const auto parsed = config::parse_node_config(node_toml("insecure = true"), "node1.toml", config::PathStyle::posix);
  ASSERT_TRUE(parsed.config.has_value()) << parsed.diagnostics.to_string();
  EXPECT_EQ(parsed.diagnostics.to_string(), "");
  EXPECT_TRUE(parsed.config->key_file.empty());
  EXPECT_TRUE(parsed.config->insecure);
  const auto no = config::parse_node_config(node_toml("insecure = false"), "node1.toml", config::PathStyle::posix);
  EXPECT_FALSE(no.config.has_value()) << "insecure = false still needs a key";
  const auto text = config::parse_node_config(node_toml("insecure = \"yes\""), "node1.toml", config::PathStyle::posix);
  EXPECT_NE(text.diagnostics.to_string().find("insecure must be true or false"), std::string::npos)
      << text.diagnostics.to_string();
}

TEST(KeyFileSetting, a_key_file_wins_over_insecure_with_a_warning) {
  const auto parsed = config::parse_node_config(node_toml("key_file = \"/etc/hamirror/cluster.key\"\ninsecure = true"),
                                                "node1.toml", config::PathStyle::posix);
  ASSERT_TRUE(parsed.config.has_value()) << parsed.diagnostics.to_string();
  EXPECT_FALSE(parsed.config->insecure);
  EXPECT_NE(parsed.diagnostics.to_string().find("warning: [node] has both key_file and insecure = true"), std::string::npos)
      << parsed.diagnostics.to_string();
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
