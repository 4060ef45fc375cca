// userconfig.xml rules, one at a time, on small inline files: every message names the
// file, line, column and attribute; all problems come out in one pass.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/userconfig_parser.h"
#include "test_files.h"

namespace hamirror::config {
namespace {

using test::printed;
using test::replace_all;
using Lines = std::vector<std::string>;

// Line 3 holds <heart>, line 4 the heartbeat, line 7 the replicated directory.
const std::string kMinimal =
    "<safe>\n"
    "  <service mode=\"mirror\">\n"
    "    <heart>\n"
    "      <heartbeat name=\"default\" ident=\"flow\"/>\n"
    "    </heart>\n"
    "    <rfs>\n"
    "      <replicated dir=\"/srv/data\"/>\n"
    "    </rfs>\n"
    "  </service>\n"
    "</safe>\n";

UserconfigResult parse(const std::string& text, PathStyle style = PathStyle::posix) {
  UserconfigOptions options;
  options.path_style = style;
  return parse_userconfig(text, "u.xml", options);
}

std::string with(const std::string& from, const std::string& to) { return replace_all(kMinimal, from, to); }

TEST(Userconfig, a_minimal_file_loads_with_the_documented_defaults) {
  const auto result = parse(kMinimal);
  EXPECT_EQ(printed(result.diagnostics), Lines{});
  ASSERT_TRUE(result.config.has_value());
  const auto& config = *result.config;
  EXPECT_EQ(config.service.defaultprim.kind, DefaultPrim::Kind::alone);
  EXPECT_EQ(config.service.maxloop, 3);
  EXPECT_EQ(config.service.loop_interval, std::chrono::hours(24));
  EXPECT_TRUE(config.service.failover);
  EXPECT_EQ(config.heart.pulse, std::chrono::milliseconds(700));
  EXPECT_EQ(config.heart.timeout, std::chrono::milliseconds(30000));
  EXPECT_TRUE(config.vip.empty());
  EXPECT_EQ(config.errd.polltimer, std::chrono::seconds(10));
  EXPECT_EQ(config.rfs.async, AsyncMode::second);
  EXPECT_EQ(config.rfs.nbrei, 3);
  EXPECT_EQ(config.user.nicestoptimeout, std::chrono::seconds(300));
}

TEST(Userconfig, written_values_are_read_as_typed_values) {
  const auto result = parse(with("<service mode=\"mirror\">",
                                 "<service mode=\"mirror\" defaultprim=\"node2\" maxloop=\"0\" loop_interval=\"2\" "
                                 "failover=\"off\">"));
  ASSERT_TRUE(result.config.has_value()) << result.diagnostics.to_string();
  EXPECT_EQ(result.config->service.defaultprim.kind, DefaultPrim::Kind::node);
  EXPECT_EQ(result.config->service.defaultprim.node, "node2");
  EXPECT_EQ(result.config->service.defaultprim.line, 2);
  EXPECT_EQ(result.config->service.maxloop, 0);
  EXPECT_EQ(result.config->service.loop_interval, std::chrono::hours(2));
  EXPECT_FALSE(result.config->service.failover);

  const auto lastprim = parse(with("mode=\"mirror\"", "mode=\"mirror\" defaultprim=\"lastprim\""));
  ASSERT_TRUE(lastprim.config.has_value());
  EXPECT_EQ(lastprim.config->service.defaultprim.kind, DefaultPrim::Kind::lastprim);

  const auto rfs = parse(with("<rfs>", "<rfs async=\"none\" nbrei=\"8\" acl=\"on\">"));
  ASSERT_TRUE(rfs.config.has_value());
  EXPECT_EQ(rfs.config->rfs.async, AsyncMode::none);
  EXPECT_EQ(rfs.config->rfs.nbrei, 8);
  EXPECT_TRUE(rfs.config->rfs.acl);

  const auto errd = parse(with("    <rfs>", "    <errd polltimer=\"5\"><proc name=\"app\" atleast=\"2\" action=\"stopstart\" "
                                           "class=\"both\"/></errd>\n    <rfs>"));
  ASSERT_TRUE(errd.config.has_value()) << errd.diagnostics.to_string();
  EXPECT_EQ(errd.config->errd.polltimer, std::chrono::seconds(5));
  ASSERT_EQ(errd.config->errd.processes.size(), 1u);
  EXPECT_EQ(errd.config->errd.processes[0].atleast, 2);
  EXPECT_EQ(errd.config->errd.processes[0].action, ProcAction::stopstart);
  EXPECT_EQ(errd.config->errd.processes[0].process_class, ProcClass::both);
}

TEST(Userconfig, a_negative_timeout_is_an_error_at_its_value) {
  EXPECT_EQ(printed(parse(with("<heart>", "<heart timeout=\"-5\">")).diagnostics),
            Lines{"u.xml:3:21: error: <heart> timeout=\"-5\" is negative: write a whole number of milliseconds "
                  "from 100 to 3600000"});
}

TEST(Userconfig, a_value_that_is_not_a_number_is_an_error_never_a_default) {
  const auto result = parse(with("<heart>", "<heart pulse=\"fast\">"));
  EXPECT_FALSE(result.config.has_value());
  EXPECT_EQ(printed(result.diagnostics),
            Lines{"u.xml:3:19: error: <heart> pulse=\"fast\" is not a whole number: write a whole number of "
                  "milliseconds from 10 to 60000"});
  EXPECT_EQ(printed(parse(with("<heart>", "<heart pulse=\"\">")).diagnostics),
            Lines{"u.xml:3:19: error: <heart> pulse=\"\" is empty: write a whole number of milliseconds from 10 to "
                  "60000"});
  EXPECT_EQ(printed(parse(with("<heart>", "<heart pulse=\"7e2\">")).diagnostics),
            Lines{"u.xml:3:19: error: <heart> pulse=\"7e2\" is not a whole number: write a whole number of "
                  "milliseconds from 10 to 60000"});
}

TEST(Userconfig, the_timeout_must_be_longer_than_the_pulse_and_a_short_one_is_warned) {
  EXPECT_EQ(printed(parse(with("<heart>", "<heart pulse=\"700\" timeout=\"700\">")).diagnostics),
            Lines{"u.xml:3:33: error: <heart> timeout=\"700\" must be longer than the pulse (700 ms)"});
  const auto short_timeout = parse(with("<heart>", "<heart pulse=\"700\" timeout=\"1000\">"));
  EXPECT_TRUE(short_timeout.config.has_value());
  EXPECT_EQ(printed(short_timeout.diagnostics),
            Lines{"u.xml:3:33: warning: <heart> timeout=\"1000\" is less than 3 pulses (700 ms each): a few late "
                  "heartbeats would cause a failover"});
}

TEST(Userconfig, unknown_elements_and_attributes_are_warnings_naming_them) {
  const auto result = parse(with("<rfs>", "<rfs colour=\"red\">\n      <mirrorlink/>"));
  EXPECT_TRUE(result.config.has_value());
  EXPECT_EQ(printed(result.diagnostics), (Lines{"u.xml:6:10: warning: unknown attribute colour in <rfs>: ignored",
                                                "u.xml:7:7: warning: unknown element <mirrorlink> in <rfs>: ignored"}));
}

TEST(Userconfig, a_vip_that_is_not_an_address_is_an_error) {
  const std::string vip =
      "    <vip><interface_list><interface><real_interface>\n"
      "      <virtual_addr addr=\"ADDR\"/>\n"
      "    </real_interface></interface></interface_list></vip>\n"
      "    <rfs>";
  const auto with_addr = [&](const std::string& addr) { return parse(with("    <rfs>", replace_all(vip, "ADDR", addr))); };
  EXPECT_EQ(printed(with_addr("10.0.0.300").diagnostics),
            Lines{"u.xml:7:27: error: <virtual_addr> addr=\"10.0.0.300\" is not an IPv4 or IPv6 address"});
  EXPECT_EQ(printed(with_addr("127.0.0.1").diagnostics),
            Lines{"u.xml:7:27: error: <virtual_addr> addr=\"127.0.0.1\" is a loopback address, which other machines "
                  "cannot reach as a virtual IP"});
  EXPECT_EQ(printed(with_addr("vip.example.com").diagnostics),
            Lines{"u.xml:7:27: error: <virtual_addr> addr=\"vip.example.com\" is not an IPv4 or IPv6 address"});
  EXPECT_EQ(printed(with_addr("").diagnostics),
            Lines{"u.xml:7:27: error: <virtual_addr> addr=\"\" is empty: write the virtual IP address"});
  const auto v6 = with_addr("fd00::100");
  ASSERT_TRUE(v6.config.has_value());
  EXPECT_EQ(v6.config->vip.at(0).addresses.at(0).addr, "fd00::100");
}

TEST(Userconfig, a_vip_given_by_name_goes_through_the_injected_resolver) {
  const std::string vip =
      "    <vip><interface_list><interface><real_interface>\n"
      "      <virtual_addr addr=\"ADDR\"/>\n"
      "    </real_interface></interface></interface_list></vip>\n"
      "    <rfs>";
  UserconfigOptions options;
  options.path_style = PathStyle::posix;
  std::vector<std::string> asked;
  options.resolves = [&](const std::string& name) {
    asked.push_back(name);
    return name == "vip.example.com";
  };
  const auto known = parse_userconfig(with("    <rfs>", replace_all(vip, "ADDR", "vip.example.com")), "u.xml", options);
  EXPECT_TRUE(known.config.has_value()) << known.diagnostics.to_string();
  const auto unknown = parse_userconfig(with("    <rfs>", replace_all(vip, "ADDR", "nowhere.example")), "u.xml", options);
  EXPECT_EQ(printed(unknown.diagnostics),
            Lines{"u.xml:7:27: error: <virtual_addr> addr=\"nowhere.example\" is not an IPv4 or IPv6 address, and no "
                  "address was found for this name"});
  const auto placeholder =
      parse_userconfig(with("    <rfs>", replace_all(vip, "ADDR", "VIRTUAL_TO_BE_DEFINED")), "u.xml", options);
  EXPECT_TRUE(placeholder.diagnostics.has_errors());
  EXPECT_EQ(asked, (std::vector<std::string>{"vip.example.com", "nowhere.example"}));  // never the placeholder
}

TEST(Userconfig, a_replicated_directory_must_be_an_absolute_path) {
  EXPECT_EQ(printed(parse(with("/srv/data", "srv/data")).diagnostics),
            Lines{"u.xml:7:24: error: <replicated> dir=\"srv/data\" is not an absolute path: write a path that starts "
                  "with '/'"});
  EXPECT_EQ(printed(parse(with("/srv/data", "/srv/data"), PathStyle::windows).diagnostics),
            Lines{"u.xml:7:24: error: <replicated> dir=\"/srv/data\" is a Linux path, not an absolute path on "
                  "Windows: write a drive and a path, such as C:\\data"});
  EXPECT_EQ(printed(parse(with("/srv/data", "/"), PathStyle::posix).diagnostics),
            Lines{"u.xml:7:24: error: <replicated> dir=\"/\" is the root of a file system: replicate a directory "
                  "below it"});
  EXPECT_EQ(printed(parse(with("/srv/data", "/srv/../etc")).diagnostics),
            Lines{"u.xml:7:24: error: <replicated> dir=\"/srv/../etc\" must not contain \"..\""});
}

TEST(Userconfig, unc_paths_are_refused_in_windows_style) {
  EXPECT_EQ(printed(parse(with("/srv/data", "\\\\fileserver\\share\\data"), PathStyle::windows).diagnostics),
            Lines{"u.xml:7:24: error: <replicated> dir=\"\\\\fileserver\\share\\data\" is a UNC path (a network "
                  "share): give a local directory such as C:\\data"});
  EXPECT_EQ(printed(parse(with("/srv/data", "D:data"), PathStyle::windows).diagnostics),
            Lines{"u.xml:7:24: error: <replicated> dir=\"D:data\" is relative to the drive's current directory: write "
                  "C:\\dir, not C:dir"});
}

TEST(Userconfig, nested_or_repeated_replicated_directories_are_errors_naming_both_lines) {
  const auto result = parse(with("      <replicated dir=\"/srv/data\"/>\n",
                                 "      <replicated dir=\"/srv/data\"/>\n"
                                 "      <replicated dir=\"/srv/data/app\"/>\n"
                                 "      <replicated dir=\"/srv//data/\"/>\n"
                                 "      <replicated dir=\"/srv/database\"/>\n"));
  EXPECT_EQ(printed(result.diagnostics),
            (Lines{"u.xml:8:24: error: <replicated> dir=\"/srv/data/app\" lies inside dir=\"/srv/data\" (line 7): "
                   "replicated directories must not be nested",
                   "u.xml:9:24: error: <replicated> dir=\"/srv//data/\" is listed twice (also on line 7)",
                   "u.xml:9:24: error: <replicated> dir=\"/srv//data/\" contains dir=\"/srv/data/app\" (line 8): "
                   "replicated directories must not be nested"}));
  const auto windows = parse(with("      <replicated dir=\"/srv/data\"/>\n",
                                  "      <replicated dir=\"C:\\Data\"/>\n"
                                  "      <replicated dir=\"c:/data/App\"/>\n"),
                             PathStyle::windows);
  EXPECT_EQ(printed(windows.diagnostics),
            Lines{"u.xml:8:24: error: <replicated> dir=\"c:/data/App\" lies inside dir=\"C:\\Data\" (line 7): "
                  "replicated directories must not be nested"});
}

TEST(Userconfig, every_error_of_a_file_comes_out_in_one_pass_in_file_order) {
  const std::string text =
      "<safe>\n"
      "  <service mode=\"farm\" maxloop=\"many\">\n"
      "    <heart pulse=\"0\">\n"
      "      <heartbeat name=\"default\"/>\n"
      "    </heart>\n"
      "    <errd><proc name=\"PROCESS_NAME\" action=\"reboot\"/></errd>\n"
      "    <rfs async=\"maybe\">\n"
      "      <replicated dir=\"c:\\data\" mode=\"read_write\"/>\n"
      "    </rfs>\n"
      "    <user logging=\"yes\"/>\n"
      "  </service>\n"
      "</safe>\n";
  EXPECT_EQ(printed(parse(text).diagnostics),
            (Lines{
                "u.xml:2:18: error: <service> mode=\"farm\" is not supported: hamirror runs mirror modules only "
                "(mode=\"mirror\")",
                "u.xml:2:33: error: <service> maxloop=\"many\" is not a whole number: write a whole number of restarts "
                "or failovers from 0 to 1000",
                "u.xml:3:5: error: no <heartbeat> has ident=\"flow\": mark the network that carries replication",
                "u.xml:3:19: error: <heart> pulse=\"0\" is out of range: write a whole number of milliseconds from 10 "
                "to 60000",
                "u.xml:6:23: error: <proc> name=\"PROCESS_NAME\" is a placeholder from SafeKit's sample: write the name "
                "of the process to watch",
                "u.xml:6:45: error: <proc> action=\"reboot\" is not one of: restart, stopstart, stop",
                "u.xml:7:17: error: <rfs> async=\"maybe\" is not one of: second, none",
                "u.xml:8:24: error: <replicated> dir=\"c:\\data\" is a Windows path, not an absolute path on Linux: "
                "write a path that starts with '/'",
                "u.xml:8:39: error: <replicated> mode=\"read_write\" is not one of: read_only",
                "u.xml:10:20: error: <user> logging=\"yes\" is not one of: userlog, none",
            }));
}

TEST(Userconfig, typographic_single_quotes_are_reported_too_and_each_tag_holding_them) {
  const auto text = with("<heartbeat name=\"default\" ident=\"flow\"/>",
                         "<heartbeat name=\xE2\x80\x98" "default\xE2\x80\x99 ident=\"flow\"/>");
  const auto two = replace_all(text, "<replicated dir=\"/srv/data\"/>",
                               "<replicated dir=\xE2\x80\x9C/srv/data\xE2\x80\x9D/>");
  EXPECT_EQ(printed(parse(two).diagnostics),
            (Lines{"u.xml:4:23: error: typographic quote \xE2\x80\x98 (U+2018) in a tag: XML needs straight quotes "
                   "(\" or '); write <heartbeat name='default' ident=\"flow\"/>",
                   "u.xml:7:23: error: typographic quote \xE2\x80\x9C (U+201C) in a tag: XML needs straight quotes "
                   "(\" or '); write <replicated dir=\"/srv/data\"/>"}));
}

TEST(Userconfig, other_malformed_xml_is_one_error_at_the_failure) {
  EXPECT_EQ(printed(parse(with("    </heart>", "    </hearth>")).diagnostics),
            Lines{"u.xml:5:7: error: not well-formed XML: this closing tag does not match the element it closes"});
  EXPECT_EQ(printed(parse("").diagnostics),
            Lines{"u.xml:1:1: error: no root element: a userconfig.xml holds <safe><service mode=\"mirror\">...</service></safe>"});
  EXPECT_EQ(printed(parse("\xFF\xFE<\0s\0").diagnostics), Lines{"u.xml:1:1: error: the file is UTF-16 encoded: save it as UTF-8"});
}

TEST(Userconfig, the_structure_is_checked_root_service_heart_and_rfs) {
  EXPECT_EQ(printed(parse("<config/>").diagnostics),
            Lines{"u.xml:1:1: error: the root element is <config>: a userconfig.xml starts with <safe>"});
  EXPECT_EQ(printed(parse("<safe>\n</safe>").diagnostics), Lines{"u.xml:1:1: error: <safe> has no <service mode=\"mirror\">"});
  EXPECT_EQ(printed(parse("<safe>\n  <service mode=\"mirror\"/>\n</safe>").diagnostics),
            (Lines{"u.xml:2:3: error: <service> has no <heart>: declare at least one <heartbeat> network",
                   "u.xml:2:3: error: <service> has no <rfs>: declare the <replicated> directories"}));
  EXPECT_EQ(printed(parse(with("    <rfs>\n      <replicated dir=\"/srv/data\"/>\n    </rfs>", "    <rfs/>")).diagnostics),
            Lines{"u.xml:6:5: error: <rfs> declares no <replicated dir=\"...\"> directory: nothing would be replicated"});
  EXPECT_EQ(printed(parse(with("<service mode=\"mirror\">", "<service>")).diagnostics),
            Lines{"u.xml:2:3: error: <service> needs the attribute mode=\"...\""});
}

TEST(Userconfig, heartbeat_networks_are_named_once_and_exactly_one_carries_replication) {
  EXPECT_EQ(printed(parse(with("      <heartbeat name=\"default\" ident=\"flow\"/>\n",
                               "      <heartbeat name=\"default\" ident=\"flow\"/>\n"
                               "      <heartbeat name=\"default\"/>\n"
                               "      <heartbeat name=\"backup\" ident=\"flow\"/>\n"))
                        .diagnostics),
            (Lines{"u.xml:5:24: error: <heartbeat> name=\"default\" is declared twice (first on line 4)",
                   "u.xml:6:7: error: a second <heartbeat> with ident=\"flow\" (the first is on line 4): only one "
                   "network carries replication"}));
  EXPECT_EQ(printed(parse(with("      <heartbeat name=\"default\" ident=\"flow\"/>\n", "")).diagnostics),
            Lines{"u.xml:3:5: error: <heart> declares no <heartbeat name=\"...\"> network"});
}

TEST(Userconfig, a_repeated_attribute_or_section_is_an_error) {
  EXPECT_EQ(printed(parse(with("<rfs>", "<rfs nbrei=\"2\" nbrei=\"3\">")).diagnostics),
            Lines{"u.xml:6:20: error: <rfs> has attribute nbrei twice"});
  EXPECT_EQ(printed(parse(with("    </rfs>\n", "    </rfs>\n    <rfs><replicated dir=\"/x\"/></rfs>\n")).diagnostics),
            Lines{"u.xml:9:5: error: a second <rfs> in <service>: only one is allowed (the first is on line 6)"});
}

}  // namespace
}  // namespace hamirror::config
