// The module log's severity for the core's lines: lines copied from real module logs
// (the demo, the e2e test) and from the core's sources, so a change of wording that
// would demote a split brain to INFO shows here.
#include "daemon/core_log_severity.h"

#include <gtest/gtest.h>

namespace hamirror::daemon {
namespace {

using io::Severity;

TEST(CoreLogSeverity, state_changes_and_the_roles_steps_are_info) {
  for (const char* line : {"node2: SECOND -> ALONE: the primary is gone (every heartbeat network timed out)",
                           "node1: ALONE -> PRIM: node2 is synchronised",
                           "node2: SECOND -> SECOND: replication link lost (end_of_stream); the primary decides: it asks "
                           "this copy to mark itself outdated, or it is gone and this node takes over",
                           "node2: role node2: secondary -> becoming_primary: become_primary: the primary is gone",
                           "node2: fast reintegration of node1 finished: 1139 bytes compared or sent, 1139 data bytes sent",
                           "node1: peer reports SECOND", "node1: replication link up with 10.77.0.2:19021",
                           "node2: handing the primary role over to node1 (this node stops): new writes are refused, "
                           "those in flight complete"}) {
    EXPECT_EQ(core_log_severity(line), Severity::info) << line;
  }
}

TEST(CoreLogSeverity, a_peer_or_link_going_down_and_refusals_are_warnings) {
  for (const char* line : {"node2: peer node1 is down (every heartbeat network is silent)",
                           "node2: heartbeat network 'default' down (no heartbeat from node1 for 3000 ms)",
                           "node2: replication link lost: end_of_stream",
                           "node2: handover abandoned: the replication link was lost (end_of_stream)",
                           "node1: swap refused: node2 is not synchronised",
                           "node1: refusing an extra replication connection from 10.77.0.2:41234",
                           "node1: the witness refuses the lease: node2 holds it",
                           "node1: node2 offered its role, but this copy is not synchronised: refused",
                           "node1: this copy may lack writes it had not made durable: a run ended in a crash",
                           "node1: replication link to 10.77.0.2:19021 failed: connection_refused",
                           "node1: errd: restarting the application (myapp: 0 running, at least 1 wanted)"}) {
    EXPECT_EQ(core_log_severity(line), Severity::warn) << line;
  }
}

TEST(CoreLogSeverity, split_brain_fencing_and_disk_or_script_failures_are_errors_even_in_a_state_change) {
  for (const char* line : {"node1: *** SPLIT BRAIN DETECTED *** both nodes wrote alone",
                           "node1: ALONE -> WAIT: the witness lease ran out while acknowledging writes alone: fenced (x)",
                           "node1: PRIM -> WAIT: node2 is gone; this node does not hold the witness lease: fenced",
                           "node1: cannot persist the generation record: no_space; stopping",
                           "node1: this copy failed op 42 (io_error)",
                           "node1: application start failed: start_prim exited 1 after 3 ms",
                           "fuse: /srv/data was unmounted from outside; writes there are not captured"}) {
    EXPECT_EQ(core_log_severity(line), Severity::error) << line;
  }
}

}  // namespace
}  // namespace hamirror::daemon
