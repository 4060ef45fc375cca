#include <gtest/gtest.h>

#include "config/diagnostics.h"

namespace hamirror::config {
namespace {

TEST(Diagnostics, print_gcc_style_leaving_out_unknown_parts) {
  EXPECT_EQ(format_diagnostic({Severity::error, "u.xml", 7, 26, "heartbeat/name", "bad"}), "u.xml:7:26: error: bad");
  EXPECT_EQ(format_diagnostic({Severity::warning, "u.xml", 7, 0, "", "odd"}), "u.xml:7: warning: odd");
  EXPECT_EQ(format_diagnostic({Severity::error, "n.toml", 0, 0, "", "missing"}), "n.toml: error: missing");
}

TEST(Diagnostics, count_errors_and_warnings) {
  Diagnostics diagnostics;
  EXPECT_FALSE(diagnostics.has_errors());
  diagnostics.warning({"a", 1, 1}, "x", "w");
  EXPECT_FALSE(diagnostics.has_errors());
  diagnostics.error({"a", 2, 1}, "y", "e");
  EXPECT_TRUE(diagnostics.has_errors());
  EXPECT_EQ(diagnostics.error_count(), 1u);
  EXPECT_EQ(diagnostics.warning_count(), 1u);
  EXPECT_EQ(diagnostics.to_string(), "a:1:1: warning: w\na:2:1: error: e\n");
}

TEST(Diagnostics, sort_by_position_within_each_file_keeping_file_order) {
  Diagnostics diagnostics;
  diagnostics.error({"b", 3, 1}, "", "b3");
  diagnostics.error({"a", 5, 2}, "", "a5");
  diagnostics.error({"b", 1, 9}, "", "b1");
  diagnostics.error({"a", 0, 0}, "", "a0");
  diagnostics.error({"a", 5, 1}, "", "a5.1");
  diagnostics.sort_by_position();
  EXPECT_EQ(diagnostics.to_string(), "b:1:9: error: b1\nb:3:1: error: b3\na: error: a0\na:5:1: error: a5.1\na:5:2: error: a5\n");
}

}  // namespace
}  // namespace hamirror::config
