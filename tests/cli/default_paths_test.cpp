// The choice of the node file: --node, then $HAMIRROR_NODE, then the platform default.
#include <gtest/gtest.h>

#include "cli/default_paths.h"

namespace hamirror::paths {
namespace {

TEST(DefaultPaths, the_node_option_wins_over_the_environment_and_the_default) {
  EXPECT_EQ(choose_node_file("given.toml", "from-environment.toml"), "given.toml");
  EXPECT_EQ(choose_node_file("given.toml", nullptr), "given.toml");
}

TEST(DefaultPaths, the_environment_wins_over_the_default) {
  EXPECT_EQ(choose_node_file("", "from-environment.toml"), "from-environment.toml");
}

TEST(DefaultPaths, an_unset_or_empty_environment_variable_means_the_default) {
  EXPECT_EQ(choose_node_file("", nullptr), default_node_file());
  EXPECT_EQ(choose_node_file("", ""), default_node_file());
}

TEST(DefaultPaths, the_node_file_and_the_module_live_in_the_configuration_folder) {
  const std::string dir = default_config_dir();
  ASSERT_FALSE(dir.empty());
  EXPECT_EQ(default_node_file().rfind(dir, 0), 0u) << default_node_file();
  EXPECT_EQ(default_module_file().rfind(dir, 0), 0u) << default_module_file();
}

}  // namespace
}  // namespace hamirror::paths
