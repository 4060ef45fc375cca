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

}  // namespace
}  // namespace hamirror::daemon
