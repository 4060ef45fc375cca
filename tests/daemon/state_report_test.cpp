// What `hamirror state` says of the peer: its own state as its heartbeats last reported
// it, "unreachable" with how long it has been silent, or "unknown" when nothing was heard.
#include "daemon/state_report.h"

#include <gtest/gtest.h>

namespace hamirror::daemon {
namespace {

using core::NodeState;

PeerHeard heard(bool up, std::int64_t ms_ago, NodeState state) {
  return PeerHeard{.listening = true, .up = up, .heard_ms_ago = ms_ago, .state = static_cast<std::uint8_t>(state)};
}

TEST(PeerReport, a_peer_not_paired_with_this_node_is_named_by_the_state_its_heartbeats_report) {
  const PeerReport report = describe_peer(NodeState::wait, false, heard(true, 250, NodeState::alone));
  EXPECT_EQ(report.state, "ALONE");
  EXPECT_EQ(report.note, "heartbeat 0.2 s ago");
  EXPECT_EQ(report.last_heard_ms_ago, 250);
  EXPECT_FALSE(report.last_state) << "last_state is for a peer that fell silent";
  const PeerReport both = describe_peer(NodeState::alone, false, heard(true, 100, NodeState::alone));
  EXPECT_EQ(both.state, "ALONE");
  EXPECT_EQ(both.note, "BOTH nodes serve writes; heartbeat 0.1 s ago");
}

// A heartbeat carries a state change at the peer's next pulse: the link is fresher.
TEST(PeerReport, a_paired_peer_is_named_by_the_replication_link_even_before_its_heartbeat_says_so) {
  const PeerReport secondary = describe_peer(NodeState::prim, false, heard(true, 200, NodeState::wait));
  EXPECT_EQ(secondary.state, "SECOND");
  EXPECT_EQ(secondary.note, "receiving every write; heartbeat 0.2 s ago");
  EXPECT_EQ(describe_peer(NodeState::prim, true, heard(true, 100, NodeState::second)).note,
            "being reintegrated; heartbeat 0.1 s ago");
  EXPECT_EQ(describe_peer(NodeState::second, false, heard(false, 4000, NodeState::prim)).note,
            "primary; no heartbeat for 4.0 s, the replication link still works");
}

TEST(PeerReport, a_silent_peer_is_unreachable_with_how_long_ago_and_what_it_last_said) {
  const PeerReport report = describe_peer(NodeState::alone, false, heard(false, 95'000, NodeState::prim));
  EXPECT_EQ(report.state, "unreachable");
  EXPECT_EQ(report.last_state, "PRIM");
  EXPECT_EQ(report.last_heard_ms_ago, 95'000);
  EXPECT_EQ(report.note, "last heartbeat 95 s ago, as PRIM: stopped, crashed or cut off");
}

TEST(PeerReport, a_peer_never_heard_or_a_stopped_node_gives_unknown) {
  PeerHeard never;
  never.listening = true;
  EXPECT_EQ(describe_peer(NodeState::wait, false, never).state, "unknown");
  EXPECT_EQ(describe_peer(NodeState::wait, false, never).note, "no heartbeat since this node started");
  EXPECT_EQ(describe_peer(NodeState::stop, false, PeerHeard{}).note, "this node is STOP: it does not listen for heartbeats");
}

TEST(PeerReport, before_the_first_heartbeat_a_paired_peer_is_named_by_the_replication_link) {
  PeerHeard never;
  never.listening = true;
  const PeerReport report = describe_peer(NodeState::second, false, never);
  EXPECT_EQ(report.state, "PRIM");
  EXPECT_EQ(report.note, "primary; no heartbeat yet");
  EXPECT_FALSE(report.last_heard_ms_ago);
}

TEST(PeerReport, a_state_byte_no_version_knows_is_reported_as_unknown_not_trusted) {
  PeerHeard odd = heard(true, 10, NodeState::prim);
  odd.state = 9;
  EXPECT_EQ(describe_peer(NodeState::wait, false, odd).state, "unknown (state 9)");
}

// A primary reintegrating its peer: `hamirror state` and the JSON give percent, rate and ETA.
StateReport reintegrating_primary() {
  StateReport report;
  report.node = "node1";
  report.state = "PRIM";
  report.exit_code = 3;
  report.reason = "node2 is synchronised";
  report.since = "2026-11-26T02:08:15.815Z";
  report.reintegration = ReintegrationReport{1'000'000, 4'000'000, 500'000};
  report.peer = "node2";
  report.peer_report = describe_peer(NodeState::prim, true, heard(true, 150, NodeState::second));
  return report;
}

TEST(StateReport, the_text_shows_both_nodes_and_the_reintegrations_percent_rate_and_time_left) {
  const std::string text = to_text(reintegrating_primary());
  EXPECT_NE(text.find("node1: PRIM since 2026-11-26T02:08:15.815Z (node2 is synchronised)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  reintegrating node2: 1.0 MB of 4.0 MB (25 %), 500.0 KB/s, about 6 s left\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("node2: SECOND (being reintegrated; heartbeat 0.1 s ago)\n"), std::string::npos) << text;
}

TEST(StateReport, the_json_carries_the_exit_code_the_reintegration_and_when_the_peer_was_heard) {
  const std::string json = to_json(reintegrating_primary());
  for (const char* field : {"\"exit_code\" : 3", "\"percent\" : 25", "\"rate_bytes_per_s\" : 500000", "\"eta_s\" : 6",
                            "\"last_heard_ms_ago\" : 150", "\"state\" : \"SECOND\""}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
  }
}

}  // namespace
}  // namespace hamirror::daemon
