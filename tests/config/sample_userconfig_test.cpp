// SafeKit's sample userconfig.xml, exactly as users copy it from the web page
// (tests/config/data/userconfig.safekit.xml, a byte-for-byte copy): first its
// typographic quotes, then — once they are fixed — its placeholders, then it loads.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config_check.h"
#include "config/userconfig_parser.h"
#include "test_files.h"

namespace hamirror::config {
namespace {

using test::printed;
using test::replace_all;

const std::string kFile = "userconfig.safekit.xml";

std::string raw_sample() { return test::read_file(test::data_path(kFile)); }

std::string quotes_fixed(const std::string& sample) { return replace_all(sample, "\xE2\x80\x9D", "\""); }

std::string filled_in(const std::string& sample, PathStyle style) {
  auto text = replace_all(quotes_fixed(sample), "VIRTUAL_TO_BE_DEFINED", "192.168.1.100");
  text = replace_all(text, "PROCESS_NAME", "postgres");
  if (style == PathStyle::posix) {
    text = replace_all(text, "c:\\test1replicated", "/srv/test1replicated");
    text = replace_all(text, "c:\\test2replicated", "/srv/test2replicated");
  }
  return text;
}

UserconfigOptions with_paths(PathStyle style) {
  UserconfigOptions options;
  options.path_style = style;
  return options;
}

const std::vector<std::string> kPlaceholderErrors = {
    "userconfig.safekit.xml:17:39: error: <virtual_addr> addr=\"VIRTUAL_TO_BE_DEFINED\" is a placeholder from "
    "SafeKit's sample, not an address: write the virtual IP (an unused IPv4 or IPv6 address in the nodes' subnet)",
    "userconfig.safekit.xml:27:21: error: <proc> name=\"PROCESS_NAME\" is a placeholder from SafeKit's sample: "
    "write the name of the process to watch",
};

TEST(SampleUserconfig, the_copy_is_the_exact_sample_with_typographic_quotes) {
  const auto sample = raw_sample();
  ASSERT_FALSE(sample.empty()) << "missing " << test::data_path(kFile);
  EXPECT_NE(sample.find("name=\xE2\x80\x9D" "default\xE2\x80\x9D"), std::string::npos);
}

TEST(SampleUserconfig, typographic_quotes_are_reported_at_their_line_and_column_with_the_straight_form) {
  const auto result = parse_userconfig(raw_sample(), kFile, with_paths(PathStyle::posix));
  EXPECT_FALSE(result.config.has_value());
  EXPECT_EQ(printed(result.diagnostics),
            std::vector<std::string>{
                "userconfig.safekit.xml:7:26: error: typographic quote \xE2\x80\x9D (U+201D) in a tag: XML needs "
                "straight quotes (\" or '); write <heartbeat name=\"default\" ident=\"flow\"/>"});
  const auto& error = result.diagnostics.items().front();
  EXPECT_EQ(error.line, 7);
  EXPECT_EQ(error.column, 26);
}

TEST(SampleUserconfig, with_quotes_fixed_each_placeholder_and_windows_path_is_an_error_on_linux) {
  const auto result = parse_userconfig(quotes_fixed(raw_sample()), kFile, with_paths(PathStyle::posix));
  EXPECT_FALSE(result.config.has_value());
  auto expected = kPlaceholderErrors;
  expected.push_back(
      "userconfig.safekit.xml:31:27: error: <replicated> dir=\"c:\\test1replicated\" is a Windows path, not an "
      "absolute path on Linux: write a path that starts with '/'");
  expected.push_back(
      "userconfig.safekit.xml:32:27: error: <replicated> dir=\"c:\\test2replicated\" is a Windows path, not an "
      "absolute path on Linux: write a path that starts with '/'");
  EXPECT_EQ(printed(result.diagnostics), expected);
}

TEST(SampleUserconfig, with_quotes_fixed_the_windows_paths_are_valid_on_windows) {
  const auto result = parse_userconfig(quotes_fixed(raw_sample()), kFile, with_paths(PathStyle::windows));
  EXPECT_EQ(printed(result.diagnostics), kPlaceholderErrors);
}

TEST(SampleUserconfig, filled_in_it_loads_on_linux_with_its_values) {
  const auto result = parse_userconfig(filled_in(raw_sample(), PathStyle::posix), kFile, with_paths(PathStyle::posix));
  EXPECT_EQ(printed(result.diagnostics), std::vector<std::string>{});
  ASSERT_TRUE(result.config.has_value());
  const auto& config = *result.config;
  EXPECT_EQ(config.service.defaultprim.kind, DefaultPrim::Kind::alone);
  EXPECT_EQ(config.service.maxloop, 3);
  EXPECT_EQ(config.service.loop_interval, std::chrono::hours(24));
  EXPECT_TRUE(config.service.failover);
  EXPECT_EQ(config.heart.pulse, std::chrono::milliseconds(700));
  EXPECT_EQ(config.heart.timeout, std::chrono::milliseconds(30000));
  ASSERT_EQ(config.heart.networks.size(), 1u);
  EXPECT_EQ(config.heart.networks[0].name, "default");
  EXPECT_TRUE(config.heart.networks[0].carries_replication());
  EXPECT_EQ(config.heart.networks[0].line, 7);
  ASSERT_EQ(config.vip.size(), 1u);
  EXPECT_TRUE(config.vip[0].check);
  EXPECT_TRUE(config.vip[0].arpreroute);
  ASSERT_EQ(config.vip[0].addresses.size(), 1u);
  EXPECT_EQ(config.vip[0].addresses[0].addr, "192.168.1.100");
  EXPECT_EQ(config.errd.polltimer, std::chrono::seconds(10));
  ASSERT_EQ(config.errd.processes.size(), 1u);
  EXPECT_EQ(config.errd.processes[0].name, "postgres");
  EXPECT_EQ(config.errd.processes[0].atleast, 1);
  EXPECT_EQ(config.errd.processes[0].action, ProcAction::restart);
  EXPECT_EQ(config.errd.processes[0].process_class, ProcClass::prim);
  EXPECT_EQ(config.rfs.async, AsyncMode::second);
  EXPECT_EQ(config.rfs.nbrei, 3);
  EXPECT_FALSE(config.rfs.acl);
  ASSERT_EQ(config.rfs.directories.size(), 2u);
  EXPECT_EQ(config.rfs.directories[0].dir, "/srv/test1replicated");
  EXPECT_EQ(config.rfs.directories[1].dir, "/srv/test2replicated");
  EXPECT_EQ(config.user.nicestoptimeout, std::chrono::seconds(300));
  EXPECT_EQ(config.user.forcestoptimeout, std::chrono::seconds(300));
  EXPECT_TRUE(config.user.log_script_output);
}

TEST(SampleUserconfig, filled_in_it_loads_on_windows_with_its_own_paths) {
  const auto result =
      parse_userconfig(filled_in(raw_sample(), PathStyle::windows), kFile, with_paths(PathStyle::windows));
  EXPECT_EQ(printed(result.diagnostics), std::vector<std::string>{});
  ASSERT_TRUE(result.config.has_value());
  EXPECT_EQ(result.config->rfs.directories[0].dir, "c:\\test1replicated");
}

TEST(SampleUserconfig, crlf_line_endings_and_a_byte_order_mark_change_no_position) {
  const auto crlf = replace_all(raw_sample(), "\n", "\r\n");
  const auto with_bom = "\xEF\xBB\xBF" + crlf;
  const auto raw = parse_userconfig(with_bom, kFile, with_paths(PathStyle::posix));
  ASSERT_EQ(raw.diagnostics.items().size(), 1u);
  EXPECT_EQ(raw.diagnostics.items()[0].line, 7);
  EXPECT_EQ(raw.diagnostics.items()[0].column, 26);

  const auto fixed = parse_userconfig(quotes_fixed(with_bom), kFile, with_paths(PathStyle::windows));
  EXPECT_EQ(printed(fixed.diagnostics), kPlaceholderErrors);

  const auto loaded = parse_userconfig(filled_in(with_bom, PathStyle::posix), kFile, with_paths(PathStyle::posix));
  EXPECT_EQ(printed(loaded.diagnostics), std::vector<std::string>{});
  EXPECT_TRUE(loaded.config.has_value());
}

TEST(SampleUserconfig, every_truncation_of_the_sample_is_reported_without_a_crash) {
  // Never a crash, whatever the input: a file cut anywhere is an error, never a load.
  const auto sample = filled_in(raw_sample(), PathStyle::posix);
  for (std::size_t size = 0; size + 10 < sample.size(); ++size) {
    const auto result = parse_userconfig(sample.substr(0, size), kFile, with_paths(PathStyle::posix));
    ASSERT_TRUE(result.diagnostics.has_errors()) << "prefix of " << size << " bytes";
    EXPECT_FALSE(result.config.has_value());
  }
}

TEST(SampleUserconfig, any_byte_replaced_anywhere_is_handled_without_a_crash) {
  // Each position gets each of a few characters that upset parsers; whatever the
  // outcome, a config comes back exactly when no error was reported.
  const auto sample = filled_in(raw_sample(), PathStyle::posix);
  for (std::size_t at = 0; at < sample.size(); ++at) {
    for (const char replacement : {'<', '>', '"', '\'', '&', '/', '-', '0', '\0', '\xE2'}) {
      auto text = sample;
      text[at] = replacement;
      const auto result = parse_userconfig(text, kFile, with_paths(PathStyle::posix));
      ASSERT_EQ(result.config.has_value(), !result.diagnostics.has_errors()) << "byte " << at;
    }
  }
}

TEST(ShippedExamples, the_example_userconfig_and_both_node_files_load_together) {
  UserconfigOptions options = with_paths(PathStyle::posix);
  for (const char* node : {"node1.toml", "node2.toml"}) {
    const auto result = check_config_files(test::example_path("userconfig.xml"), test::example_path(node), options);
    EXPECT_EQ(printed(result.diagnostics), std::vector<std::string>{}) << node;
    ASSERT_TRUE(result.module.has_value());
    ASSERT_TRUE(result.node.has_value());
    EXPECT_EQ(result.module->heart.networks.size(), 2u);
    EXPECT_EQ(result.node->networks.size(), 2u);
  }
}

TEST(ShippedExamples, a_missing_file_is_an_error_naming_it) {
  const auto result = check_config_files(test::data_path("no-such-file.xml"), std::nullopt);
  EXPECT_EQ(printed(result.diagnostics),
            std::vector<std::string>{test::data_path("no-such-file.xml") + ": error: cannot read the file: it does not exist"});
}

}  // namespace
}  // namespace hamirror::config
