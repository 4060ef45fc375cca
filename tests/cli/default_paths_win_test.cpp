// Windows: the configuration is under %ProgramData%\hamirror, where `hamirrord install`
// points the service by default and docs/INSTALL-WINDOWS.md tells the admin to put it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "cli/default_paths.h"

namespace hamirror::paths {
namespace {

// A console process sees the ProgramData folder in its environment too (the known folder
// the code asks first; C:\ProgramData on a default installation and under Wine).
std::string program_data_variable() {
  const char* value = std::getenv("ProgramData");
  return value != nullptr ? value : "";
}

TEST(DefaultPathsWindows, are_under_program_data_hamirror) {
  const std::string program_data = program_data_variable();
  ASSERT_FALSE(program_data.empty()) << "%ProgramData% is not set in this console";
  EXPECT_EQ(default_config_dir(), program_data + "\\hamirror");
  EXPECT_EQ(default_node_file(), program_data + "\\hamirror\\node.toml");
  EXPECT_EQ(default_module_file(), program_data + "\\hamirror\\mirror\\conf\\userconfig.xml");
}

}  // namespace
}  // namespace hamirror::paths
