// An explicit fault schedule: the faults a run injects, each at a given simulated
// time with every parameter its kind uses, instead of faults drawn from the seed as
// the run goes. rapidcheck properties generate schedules so that a failure shrinks
// to a few faults (tests/property); hamirror-chaos replays one (--schedule, --faults).
//
// The text form is one fault per line, readable and parsed back exactly:
//   t=12.340s partition_full node1 for 2.100s
//   t=15.000s link_chaos for 3.000s latency=100..350us jitter=20us loss=5% dup=1% reorder=3%
//   t=20.000s disk_eio node2 for 1.500s p=12/1000
//   t=21.000s disk_enospc node1 for 4.000s free=4096
//   t=25.000s witness_down for 6.000s
//   t=30.000s admin_swap node2
// Times and durations have millisecond resolution. Kinds of one machine name their
// node (node1, node2); link_chaos and witness_down name none. Admin commands have no
// duration. In the one-line form (`;` between faults) a whole schedule fits in a
// replay command. Blank lines and lines starting with '#' are ignored.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/clock.h"
#include "netsim/options.h"
#include "sim/runner/scenario.h"

namespace hamirror::sim::runner {

// link_chaos's link: latency, jitter and the percentages of loss, duplication and
// reordering on every link while the fault lasts.
struct LinkChaos {
  std::int64_t latency_min_us = netsim::kDefaultLatencyNs / io::kNsPerUs;
  std::int64_t latency_mean_us = netsim::kDefaultLatencyNs / io::kNsPerUs;
  std::int64_t jitter_us = 0;
  std::uint32_t loss_pct = 0;
  std::uint32_t duplicate_pct = 0;
  std::uint32_t reorder_pct = 0;

  bool operator==(const LinkChaos&) const = default;
};

struct ScheduledFault {
  std::int64_t at_ms = 0;           // simulated time since the run began
  FaultKind kind = FaultKind::crash;
  std::string node = "node1";       // unused by link_chaos and witness_down
  std::int64_t duration_ms = 0;     // until the fault ends; 0 for admin commands
  LinkChaos link;                   // link_chaos only
  std::uint32_t eio_per_mille = 0;  // disk_eio: the probability of each op failing, in 1/1000
  std::uint64_t free_bytes = 0;     // disk_enospc: the room left on the disk

  bool operator==(const ScheduledFault&) const = default;
};

using FaultSchedule = std::vector<ScheduledFault>;

// Whether the kind acts on one of the two nodes, and whether it lasts (has an end).
bool fault_names_node(FaultKind kind);
bool fault_has_duration(FaultKind kind);

// "t=12.340s partition_full node1 for 2.100s": only the parameters the kind uses.
std::string format_fault(const ScheduledFault& fault);
// One fault per line, each ending in '\n' ("" for an empty schedule).
std::string format_schedule(const FaultSchedule& schedule);
// All on one line, "; " between faults: for a command line.
std::string format_schedule_inline(const FaultSchedule& schedule);

struct ParsedSchedule {
  FaultSchedule schedule;
  std::string error;  // "" when the text parsed; else what is wrong and where
};
// Reads the text form (lines or ';'-separated, as printed above).
ParsedSchedule parse_schedule(std::string_view text);

}  // namespace hamirror::sim::runner
