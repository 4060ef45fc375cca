// The witness service's TOML file.
#include <gtest/gtest.h>

#include "daemon/witness_service.h"

namespace hamirror::test {
namespace {

TEST(WitnessConfig, a_complete_file_is_read) {
  const auto parsed = daemon::parse_witness_config(R"([witness]
listen = "192.168.1.30"
port = 9021
nodes = ["node1", "node2"]
state_file = "/var/lib/hamirror-witness/epoch"
key_file = "/etc/hamirror/cluster.key"
)", "witness.toml");
  ASSERT_TRUE(parsed.config.has_value()) << parsed.error;
  EXPECT_EQ(parsed.config->listen, "192.168.1.30");
  EXPECT_EQ(parsed.config->port, 9021);
  EXPECT_EQ(parsed.config->nodes[1], "node2");
  EXPECT_EQ(parsed.config->state_file, "/var/lib/hamirror-witness/epoch");
  EXPECT_EQ(parsed.config->key_file, "/etc/hamirror/cluster.key");
}

TEST(WitnessConfig, each_missing_or_wrong_setting_is_named_with_its_place) {
  const struct {
    const char* text;
    const char* expected;
  } cases[] = {
      {"[witness]\nport = 9020\nnodes = [\"a\", \"b\"]\nstate_file = \"/s\"\n", "needs listen"},
      {"[witness]\nlisten = \"0.0.0.0\"\nport = 70000\nnodes = [\"a\", \"b\"]\nstate_file = \"/s\"\n", "witness.toml:3:8: port must be 1..65535"},
      {"[witness]\nlisten = \"0.0.0.0\"\nnodes = [\"a\"]\nstate_file = \"/s\"\n", "needs nodes"},
      {"[witness]\nlisten = \"0.0.0.0\"\nnodes = [\"a\", \"a\"]\nstate_file = \"/s\"\n", "must differ"},
      {"[witness]\nlisten = \"0.0.0.0\"\nnodes = [\"a\", \"b\"]\n", "needs state_file"},
      {"[witness]\nlisten = \"0.0.0.0\"\nnodes = [\"a\", \"b\"]\nstate_file = \"/s\"\n", "witness.toml:1:1: [witness] needs key_file"},
      {"listen = \"x\"\n", "no [witness] table"},
      {"[witness\n", "witness.toml:1:"},
  };
  for (const auto& c : cases) {
    const auto parsed = daemon::parse_witness_config(c.text, "witness.toml");
    EXPECT_FALSE(parsed.config.has_value()) << c.text;
    EXPECT_NE(parsed.error.find(c.expected), std::string::npos) << c.text << "\n-> " << parsed.error;
  }
}

TEST(WitnessConfig, insecure_true_grants_leases_without_a_key_by_the_admins_explicit_choice) {
  const auto parsed = daemon::parse_witness_config(
      "[witness]\nlisten = \"0.0.0.0\"\nnodes = [\"a\", \"b\"]\nstate_file = \"/s\"\ninsecure = true\n", "witness.toml");
  ASSERT_TRUE(parsed.config.has_value()) << parsed.error;
  EXPECT_TRUE(parsed.config->key_file.empty());
}

}  // namespace
}  // namespace hamirror::test
