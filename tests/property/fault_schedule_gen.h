// rapidcheck generators of fault schedules (sim/runner/fault_schedule.h), built so
// that a failing schedule shrinks well: the vector's shrinks remove faults (chunks,
// then one by one), then each fault's fields shrink toward simple values -- time
// toward 0 s, duration toward its kind's shortest, node toward node1, parameters
// toward a plain link, the lowest error rate, a full disk. Times and durations are
// whole tenths of a second, so a shrunk schedule reads easily.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <ostream>
#include <vector>

#include "sim/runner/fault_schedule.h"

namespace hamirror::sim::runner {

// How rapidcheck shows one fault in a counterexample: its schedule line.
inline void showValue(const ScheduledFault& fault, std::ostream& os) { os << format_fault(fault); }

namespace schedule_gen {

// rapidcheck scales inRange by the case's size; the schedule's own bounds decide here.
constexpr int kFullSize = rc::kNominalSize;
constexpr std::int64_t kTickMs = 100;

// A multiple of kTickMs in [low_ms, high_ms], shrinking toward low_ms.
inline rc::Gen<std::int64_t> ticks(std::int64_t low_ms, std::int64_t high_ms) {
  return rc::gen::map(rc::gen::inRange<std::int64_t>(low_ms / kTickMs, high_ms / kTickMs + 1),
                      [](std::int64_t tick) { return tick * kTickMs; });
}

// Durations near what the runner draws for each kind (run_faults.cpp), with one
// bound for partitions and freezes, whose drawn bounds follow the cluster's timeout.
struct DurationBounds {
  std::int64_t low_ms;
  std::int64_t high_ms;
};
inline DurationBounds duration_bounds(FaultKind kind) {
  switch (kind) {
    case FaultKind::crash: return {500, 10000};
    case FaultKind::stop: return {1000, 10000};
    case FaultKind::partition_full:
    case FaultKind::partition_one_way:
    case FaultKind::partition_hb:
    case FaultKind::partition_flow: return {300, 20000};
    case FaultKind::witness_cut:
    case FaultKind::witness_down: return {1000, 30000};
    case FaultKind::link_chaos: return {1000, 15000};
    case FaultKind::freeze: return {100, 20000};
    case FaultKind::disk_eio:
    case FaultKind::disk_enospc: return {500, 10000};
    default: return {0, 0};
  }
}

inline rc::Gen<LinkChaos> link_chaos() {
  constexpr std::int64_t kPlainUs = LinkChaos{}.latency_min_us;
  auto ms_over = [](std::int64_t base_us) { return [base_us](std::int64_t ms) { return base_us + ms * 1000; }; };
  const auto drawn = rc::gen::build<LinkChaos>(
      rc::gen::set(&LinkChaos::latency_min_us, rc::gen::map(rc::gen::inRange<std::int64_t>(0, 101), ms_over(kPlainUs))),
      // Here the mean's excess over the minimum, in ms; the map below adds the
      // minimum, so the mean is never below it however the two shrink.
      rc::gen::set(&LinkChaos::latency_mean_us, rc::gen::inRange<std::int64_t>(0, 201)),
      rc::gen::set(&LinkChaos::jitter_us, rc::gen::inRange<std::int64_t>(0, 501)),
      rc::gen::set(&LinkChaos::loss_pct, rc::gen::inRange<std::uint32_t>(0, 11)),
      rc::gen::set(&LinkChaos::duplicate_pct, rc::gen::inRange<std::uint32_t>(0, 6)),
      rc::gen::set(&LinkChaos::reorder_pct, rc::gen::inRange<std::uint32_t>(0, 11)));
  return rc::gen::map(drawn, [](LinkChaos link) {
    link.latency_mean_us = link.latency_min_us + link.latency_mean_us * 1000;
    return link;
  });
}

// One fault of `kind` within [0, safety_ms): the fields the kind uses vary, the
// others stay at their defaults (so no shrink is spent on them).
inline rc::Gen<ScheduledFault> fault_of(FaultKind kind, std::int64_t safety_ms) {
  const DurationBounds d = duration_bounds(kind);
  return rc::gen::build<ScheduledFault>(
      rc::gen::set(&ScheduledFault::at_ms, ticks(0, safety_ms - kTickMs)),
      rc::gen::set(&ScheduledFault::kind, rc::gen::just(kind)),
      rc::gen::set(&ScheduledFault::node, fault_names_node(kind) ? rc::gen::element<std::string>("node1", "node2")
                                                                 : rc::gen::just<std::string>("node1")),
      rc::gen::set(&ScheduledFault::duration_ms, fault_has_duration(kind) ? ticks(d.low_ms, d.high_ms)
                                                                          : rc::gen::just<std::int64_t>(0)),
      rc::gen::set(&ScheduledFault::link, kind == FaultKind::link_chaos ? link_chaos() : rc::gen::just(LinkChaos{})),
      rc::gen::set(&ScheduledFault::eio_per_mille, kind == FaultKind::disk_eio ? rc::gen::inRange<std::uint32_t>(1, 51)
                                                                               : rc::gen::just<std::uint32_t>(0)),
      rc::gen::set(&ScheduledFault::free_bytes, kind == FaultKind::disk_enospc
                                                    ? rc::gen::inRange<std::uint64_t>(0, 256 * 1024)
                                                    : rc::gen::just<std::uint64_t>(0)));
}

// Any kind (shrinking toward the first, crash), then its fields.
inline rc::Gen<ScheduledFault> any_fault(std::int64_t safety_ms) {
  std::vector<FaultKind> kinds;
  for (std::size_t k = 0; k < kFaultKinds; ++k) kinds.push_back(static_cast<FaultKind>(k));
  return rc::gen::mapcat(rc::gen::elementOf(kinds), [safety_ms](FaultKind kind) { return fault_of(kind, safety_ms); });
}

// 0 .. max_faults faults within the first safety_ms of the safety phase, in time order.
inline rc::Gen<FaultSchedule> schedule(std::int64_t safety_ms, int max_faults) {
  const auto faults = rc::gen::container<FaultSchedule>(rc::gen::resize(kFullSize, any_fault(safety_ms)));
  return rc::gen::map(rc::gen::resize(max_faults, faults), [](FaultSchedule schedule) {
    std::stable_sort(schedule.begin(), schedule.end(),
                     [](const ScheduledFault& a, const ScheduledFault& b) { return a.at_ms < b.at_ms; });
    return schedule;
  });
}

}  // namespace schedule_gen
}  // namespace hamirror::sim::runner
