// Linux: the configuration is under /etc/hamirror, as hamirrord.service expects.
#include <gtest/gtest.h>

#include "cli/default_paths.h"

namespace hamirror::paths {
namespace {

TEST(DefaultPathsLinux, are_under_etc_hamirror) {
  EXPECT_EQ(default_node_file(), "/etc/hamirror/node.toml");
  EXPECT_EQ(default_module_file(), "/etc/hamirror/mirror/conf/userconfig.xml");
}

}  // namespace
}  // namespace hamirror::paths
