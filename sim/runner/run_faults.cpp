// Fault injection in the safety phase, and the runner acting as the admin (random
// admin commands in the safety phase, recovery in the liveness phase).
#include <algorithm>
#include <limits>

#include "io/assert.h"
#include "sim/runner/run_impl.h"

namespace hamirror::sim::runner {

namespace {

bool is_partition(FaultKind kind) {
  return kind == FaultKind::partition_full || kind == FaultKind::partition_one_way || kind == FaultKind::partition_hb ||
         kind == FaultKind::partition_flow;
}
bool is_admin(FaultKind kind) {
  return kind == FaultKind::admin_swap || kind == FaultKind::admin_prim || kind == FaultKind::admin_restart;
}
// The node reported a split brain and waits for the admin.
bool waits_in_split_brain(const core::Node& node) {
  return node.state() == core::NodeState::wait && node.state_reason().find("SPLIT BRAIN") != std::string::npos;
}
// The node accepted a prim (or chose to serve) and waits for the witness to grant it
// the lease; its log says why it is not granted ("only primforce takes the lease").
bool waits_for_lease(const core::Node& node) {
  return node.state() == core::NodeState::wait && node.state_reason().find("waiting for the witness lease") != std::string::npos;
}
std::string other(const std::string& name) { return name == "node1" ? "node2" : "node1"; }
constexpr std::int64_t kUsPerMs = 1000;

}  // namespace

std::string Run::random_node() { return fault_rng_.chance(1, 2) ? "node1" : "node2"; }

void Run::schedule_next_fault() {
  const std::int64_t mean = scenario_.faults.mean_interval_ms;
  cluster_.scheduler().after(fault_rng_.between(mean / 4, mean * 7 / 4) * io::kNsPerMs, [this] {
    if (phase_ != Phase::safety || violation_) return;
    inject_fault();
    schedule_next_fault();
  });
}

void Run::inject_fault() {
  std::uint64_t total = 0;
  for (const auto weight : scenario_.faults.weights) total += weight;
  if (total == 0) return;
  std::uint64_t roll = fault_rng_.below(total);
  std::size_t k = 0;
  while (roll >= scenario_.faults.weights[k]) roll -= scenario_.faults.weights[k++];
  const auto kind = static_cast<FaultKind>(k);
  if (!is_admin(kind) && static_cast<int>(active_.size()) >= scenario_.faults.max_concurrent) return;
  ScheduledFault fault{.at_ms = cluster_.scheduler().now_ns() / io::kNsPerMs, .kind = kind};
  if (start_fault(fault, true)) {
    ++stats_.faults[k];
    injected_.push_back(fault);
  }
}

// An explicit schedule: exactly its faults at their times, nothing drawn. A fault
// that cannot start when its time comes (its node is down, a partition is already
// on, an admin command too soon after another) is skipped, and the trace says so.
void Run::schedule_given_faults() {
  for (const ScheduledFault& given : *options_.schedule) {
    cluster_.scheduler().at(given.at_ms * io::kNsPerMs, [this, given] {
      if (phase_ != Phase::safety || violation_) return;
      ScheduledFault fault = given;
      note("scheduled fault: " + format_fault(fault));
      if (!start_fault(fault, false)) {
        note("scheduled fault skipped: it cannot start now");
        return;
      }
      ++stats_.faults[static_cast<std::size_t>(fault.kind)];
      injected_.push_back(fault);
    });
  }
}

// link_chaos's link, drawn in the order these draws always had.
LinkChaos Run::draw_link_chaos() {
  LinkChaos link;
  if (fault_rng_.chance(1, 3)) {
    link.latency_min_us = fault_rng_.between(20, 100) * kUsPerMs;
    link.latency_mean_us = link.latency_min_us + fault_rng_.between(0, 200) * kUsPerMs;
  } else {
    link.latency_mean_us = link.latency_min_us + fault_rng_.between(0, 2000);
    link.jitter_us = fault_rng_.between(0, 500);
  }
  link.loss_pct = static_cast<std::uint32_t>(fault_rng_.below(11));
  link.duplicate_pct = static_cast<std::uint32_t>(fault_rng_.below(6));
  link.reorder_pct = static_cast<std::uint32_t>(fault_rng_.below(11));
  return link;
}

bool Run::partition_active() const {
  return std::any_of(active_.begin(), active_.end(), [](const ActiveFault& f) { return is_partition(f.kind); });
}

bool Run::fault_active(FaultKind kind, const std::string& node) const {
  return std::any_of(active_.begin(), active_.end(),
                     [&](const ActiveFault& f) { return f.kind == kind && (node.empty() || f.node == node); });
}

void Run::end_fault_later(FaultKind kind, const std::string& node, std::int64_t after_ns, std::function<void()> end) {
  const std::uint64_t id = ++next_fault_id_;
  const Scheduler::EventId event = cluster_.scheduler().after(after_ns, [this, id] { end_fault(id); });
  active_.push_back(ActiveFault{id, kind, node, event, std::move(end)});
}

void Run::end_fault(std::uint64_t id) {
  const auto found = std::find_if(active_.begin(), active_.end(), [id](const ActiveFault& f) { return f.id == id; });
  if (found == active_.end()) return;
  ActiveFault fault = std::move(*found);
  active_.erase(found);
  note("fault ends: " + std::string(fault_kind_name(fault.kind)) + (fault.node.empty() ? "" : " " + fault.node));
  fault.end();
}

void Run::end_all_faults() {
  while (!active_.empty()) {
    cluster_.scheduler().cancel(active_.front().end_event);
    end_fault(active_.front().id);
  }
  cluster_.world().heal_all();
  cluster_.world().set_default_link(netsim::LinkOptions{});
  for (auto& [name, s] : slots_) {
    if (cluster_.node(name).frozen()) cluster_.node(name).thaw();
    if (!s.node) restart(s);
  }
}

// A power cut: the process and every unsynced byte it wrote may be gone. When the
// node that crashes may hold acknowledged data its peer lacks (the peer is not a
// synchronised secondary and is not the node serving), both copies have failed:
// the spec then allows losing what no acknowledged fsync covered. A peer that
// acknowledged last but crashed since no longer counts as serving (seed 982: the
// acknowledging PRIM crashed, then its secondary crashed while reintegrating it).
void Run::crash(NodeSlot& s) {
  const std::int64_t now = cluster_.scheduler().now_ns();
  const bool double_failure = peer_lacks_acknowledged_writes(s);
  note("crash " + s.name + (double_failure ? " (its peer does not hold every acknowledged write: both copies failed)" : ""));
  s.node.reset();
  s.io.reset();
  s.canary_fs.reset();
  s.faulty.reset();
  s.capacity.reset();
  SimNode& machine = cluster_.node(s.name);
  machine.disk().crash();
  cluster_.vips().release_all(s.name);
  machine.processes().kill_by_name("appd");
  ++s.incarnation;  // answers of the dead process are ignored
  release_clients_of(s.name);
  mark_absent(s, true);
  s.silence.went_down(now);
  if (s.name == last_ack_node_) last_ack_copy_crashed_ = true;
  if (double_failure) both_copies_failed(s.name + " crashed at " + format_time(now));
  if (machine.frozen()) machine.thaw();  // its held callbacks died with it
}

// Judged at this instant, not at the last sample: a copy may fail 10 ms before its
// peer (property counterexample 368706: a secondary under async `second` failed to
// apply an op it had acknowledged on receipt, then the primary lost power).
bool Run::peer_lacks_acknowledged_writes(const NodeSlot& s) {
  const bool synchronised = pair_synchronised_now();
  // The peer is the loser of a split brain the admin resolved for `s`, not yet met:
  // whatever it acknowledges, it holds none of `s`'s side (seed 4847: the winner lost
  // power while the loser still served).
  if (resolved_winner_ == s.name) return true;
  // The peer began acknowledging without some of this node's acknowledged ops (a split
  // brain not yet resolved): serving or not, it does not hold them (seed 7550: node2
  // lost power in the split brain, after node1 had served its own side).
  if (!synchronised && std::any_of(suspicion_demoted_.begin(), suspicion_demoted_.end(),
                                    [&](std::uint64_t id) { return oracle_.op(id).node == s.name; })) {
    return true;
  }
  const NodeSlot& peer = slot(s.peer);
  // A peer whose disk failed a write since it last acknowledged has failed too (seed
  // 1893: the PRIM's write failed and it stopped, marked inconsistent, as the core does
  // for a disk it cannot trust; then its secondary, whose sync had failed, lost power).
  const bool peer_serving =
      last_ack_node_ == peer.name && peer.node != nullptr && !last_ack_copy_crashed_ && !peer.write_failed;
  return !last_ack_node_.empty() && !synchronised && !peer_serving;
}

// An op demoted only as a split brain's suspicion is still owed if its side wins
// (resolve_split_brain promotes it): here it counts as acknowledged, so that a double
// failure that lost it keeps it lost whichever side wins (seed 7550: node2's unsynced
// writes of its side died with its power, then the admin chose node2).
void Run::both_copies_failed(const std::string& second_failure) {
  ++stats_.double_failures;
  std::map<std::uint64_t, std::string> suspected_why;
  for (const std::uint64_t id : suspicion_demoted_) {
    if (oracle_.op(id).excluded) continue;  // lost by an admin's choice already
    suspected_why[id] = oracle_.op(id).demoted_why;
    oracle_.promote(id);
  }
  stats_.unsynced_acks_demoted += oracle_.demote_unsynced(cluster_.scheduler().now_ns(),
                                                          "both copies failed (" + second_failure +
                                                              ") and no acknowledged fsync covered it");
  for (const auto& [id, why] : suspected_why) {
    // Lost by this double failure, or still a suspicion (an acknowledged fsync covered it).
    if (oracle_.op(id).demoted) suspicion_demoted_.erase(id);
    else oracle_.demote(id, why);
  }
}

// A failed sync: what this copy wrote since its last sync may never become durable
// (FaultyFs's model; Linux after an fsync EIO). When the peer does not hold every
// acknowledged write either, this disk is the second failure, as a crash would be
// (seed 2086: the PRIM lost power, then its secondary's sync before going on alone
// failed; the two copies' records both say "crashed" and the PRIM's was chosen).
void Run::on_sync_failed(NodeSlot& s) {
  if (!peer_lacks_acknowledged_writes(s)) return;
  const std::string what = s.name + "'s sync failed at " + format_time(cluster_.scheduler().now_ns());
  note(what + " (its peer does not hold every acknowledged write: both copies failed)");
  both_copies_failed(what);
}

void Run::restart(NodeSlot& s) {
  if (s.node) return;
  if (cluster_.node(s.name).frozen()) cluster_.node(s.name).thaw();
  note("restart " + s.name);
  start_node(s);
}

// Starts `fault` now, or returns false when it cannot start. Drawn (`draw`, the seed's
// own faults): its node and parameters come from fault_rng_ where they are used, in
// the order they always did (a seed keeps its trace), and are written into `fault`.
// Given (a schedule): they are read from `fault`.
bool Run::start_fault(ScheduledFault& fault, bool draw) {
  const FaultKind kind = fault.kind;
  if (draw) fault.node = random_node();
  // An admin runs prim on a node that is not primary: the drawn one, or else its peer.
  // Drawn blindly, most prims went to the primary and were skipped, and an outdated
  // node whose primary was down was rarely told to serve (the canary promote_stale_node
  // then needed 1,729 seeds once seed 55793's fix removed the false split brains).
  if (draw && kind == FaultKind::admin_prim && !takes_admin_prim(fault.node) && takes_admin_prim(other(fault.node))) {
    fault.node = other(fault.node);
  }
  const std::string name = fault.node;
  NodeSlot& s = slot(name);
  SimNode& machine = cluster_.node(name);
  netsim::World& world = cluster_.world();
  const std::int64_t now = cluster_.scheduler().now_ns();
  const std::int64_t timeout_ms = scenario_.cluster.timeout_ms;
  // The fault's duration, drawn in [low, high] ms or given.
  auto ms = [this, draw, &fault](std::int64_t low, std::int64_t high) {
    if (draw) fault.duration_ms = fault_rng_.between(low, high);
    return fault.duration_ms * io::kNsPerMs;
  };
  const std::string what = std::string(fault_kind_name(kind)) + " " + name;
  if (is_admin(kind)) {
    if (now - last_admin_ns_ < kAdminSpacingNs || !usable(name)) return false;
    last_admin_ns_ = now;
  }
  switch (kind) {
    case FaultKind::crash: {
      if (!s.node) return false;
      crash(s);
      end_fault_later(kind, name, ms(500, 10000), [this, name] { restart(slot(name)); });
      return true;
    }
    case FaultKind::stop: {
      if (!usable(name) || s.node->state() == core::NodeState::stop || fault_active(kind, name)) return false;
      note("stop " + name);
      mark_absent(s, true);
      s.silence.went_down(now);
      s.node->stop();
      const std::uint64_t incarnation = s.incarnation;
      end_fault_later(kind, name, ms(1000, 10000), [this, name, incarnation] {
        NodeSlot& again = slot(name);
        if (again.incarnation != incarnation || !again.node || cluster_.node(name).frozen()) return;
        if (again.node->state() != core::NodeState::stop) return;
        note("start " + name);
        start_stopped(again);
      });
      return true;
    }
    case FaultKind::partition_full:
    case FaultKind::partition_one_way:
    case FaultKind::partition_hb:
    case FaultKind::partition_flow: {
      if (partition_active()) return false;
      const std::string network = kind == FaultKind::partition_hb ? "hb" : kind == FaultKind::partition_flow ? "flow" : "";
      const auto direction = kind == FaultKind::partition_one_way ? netsim::Direction::one_way : netsim::Direction::both;
      note("partition " + name + (direction == netsim::Direction::one_way ? " -> " : " <-> ") + other(name) +
           (network.empty() ? "" : " on " + network));
      world.partition(name, other(name), direction, network);
      end_fault_later(kind, "", ms(300, 4 * timeout_ms), [this, name] { cluster_.world().heal(name, other(name)); });
      return true;
    }
    case FaultKind::witness_cut: {
      if (!scenario_.cluster.witness || fault_active(kind, name)) return false;
      note("partition " + name + " <-> witness");
      world.partition(name, "witness");
      end_fault_later(kind, name, ms(1000, 30000), [this, name] { cluster_.world().heal(name, "witness"); });
      return true;
    }
    case FaultKind::witness_down: {
      if (!witness_) return false;
      note("witness down");
      witness_.reset();
      cluster_.node("witness").disk().crash();
      end_fault_later(kind, "", ms(1000, 30000), [this] {
        note("witness up");
        start_witness();
      });
      return true;
    }
    case FaultKind::link_chaos: {
      if (fault_active(kind, "")) return false;
      if (draw) fault.link = draw_link_chaos();
      netsim::LinkOptions link;
      link.latency_min_ns = fault.link.latency_min_us * io::kNsPerUs;
      link.latency_mean_ns = fault.link.latency_mean_us * io::kNsPerUs;
      link.jitter_ns = fault.link.jitter_us * io::kNsPerUs;
      link.loss_probability = static_cast<double>(fault.link.loss_pct) / 100.0;
      link.duplicate_probability = static_cast<double>(fault.link.duplicate_pct) / 100.0;
      link.reorder_probability = static_cast<double>(fault.link.reorder_pct) / 100.0;
      note("link chaos: latency " + std::to_string(link.latency_mean_ns / io::kNsPerUs) + " us, loss " +
           std::to_string(link.loss_probability) + ", dup " + std::to_string(link.duplicate_probability) + ", reorder " +
           std::to_string(link.reorder_probability));
      world.set_default_link(link);
      end_fault_later(kind, "", ms(1000, 15000), [this] { cluster_.world().set_default_link(netsim::LinkOptions{}); });
      return true;
    }
    case FaultKind::freeze: {
      if (!usable(name)) return false;
      note("freeze " + name);
      machine.freeze();
      mark_absent(s, true);
      s.silence.froze(now);
      frozen_[name].emplace_back(now, kStillHeld);
      end_fault_later(kind, name, ms(100, timeout_ms * 5 / 2), [this, name] {
        if (!frozen_[name].empty() && frozen_[name].back().second == kStillHeld) {
          frozen_[name].back().second = cluster_.scheduler().now_ns();
        }
        if (!cluster_.node(name).frozen()) return;  // crashed meanwhile (thawed then)
        note("thaw " + name);
        cluster_.node(name).thaw();
        slot(name).silence.thawed(cluster_.scheduler().now_ns());
        if (slot(name).node) mark_absent(slot(name), false);
      });
      return true;
    }
    case FaultKind::disk_eio: {
      if (!s.node || fault_active(kind, name)) return false;
      if (draw) fault.eio_per_mille = static_cast<std::uint32_t>(fault_rng_.between(1, 50));
      const double p = static_cast<double>(fault.eio_per_mille) / 1000.0;
      note("disk EIO on " + name + " with probability " + std::to_string(p));
      s.faulty->set_options(fsim::FaultyFsOptions{.trace_name = name + ".faulty", .read_error_probability = p,
                                                  .write_error_probability = p, .fsync_error_probability = p,
                                                  .fsync_dir_error_probability = p});
      const std::uint64_t incarnation = s.incarnation;
      end_fault_later(kind, name, ms(500, 10000), [this, name, incarnation] {
        NodeSlot& again = slot(name);
        if (again.incarnation == incarnation && again.faulty) {
          again.faulty->set_options(fsim::FaultyFsOptions{.trace_name = name + ".faulty"});
        }
      });
      return true;
    }
    case FaultKind::disk_enospc: {
      if (!s.node || fault_active(kind, name)) return false;
      if (draw) fault.free_bytes = fault_rng_.below(256 * 1024);
      const std::uint64_t slack = fault.free_bytes;
      note("disk full on " + name + " (" + std::to_string(slack) + " bytes left)");
      s.capacity->set_capacity(s.capacity->used_bytes() + slack);
      const std::uint64_t incarnation = s.incarnation;
      end_fault_later(kind, name, ms(500, 10000), [this, name, incarnation] {
        NodeSlot& again = slot(name);
        if (again.incarnation == incarnation && again.capacity) again.capacity->set_capacity(fsim::kUnlimitedBytes);
      });
      return true;
    }
    case FaultKind::admin_swap: {
      const std::string answer = s.node->swap();
      note("admin: swap on " + name + ": " + (answer.empty() ? "begun" : answer));
      return true;
    }
    case FaultKind::admin_prim: {
      if (!takes_admin_prim(name)) return false;
      admin_prim(name, false);
      return true;
    }
    case FaultKind::admin_restart: {
      if (s.node->state() == core::NodeState::stop) return false;
      note("admin: restart " + name);
      const std::uint64_t incarnation = s.incarnation;
      s.node->stop([this, name, incarnation] {
        NodeSlot& again = slot(name);
        // Started from a fresh event, not from inside the node's own callback.
        cluster_.scheduler().after(0, [this, name, incarnation] {
          NodeSlot& now_slot = slot(name);
          if (now_slot.incarnation != incarnation || !now_slot.node || phase_ == Phase::done) return;
          if (now_slot.node->state() == core::NodeState::stop && !cluster_.node(name).frozen()) start_stopped(now_slot);
        });
        (void)again;
      });
      return true;
    }
    case FaultKind::count: break;
  }
  return false;
}

bool Run::takes_admin_prim(const std::string& name) {
  return usable(name) && !is_primary(slot(name).node->state()) && slot(name).node->state() != core::NodeState::stop;
}

bool Run::admin_prim(const std::string& name, bool force) {
  core::Node& n = *slot(name).node;
  const core::Node* peer = slot(other(name)).node.get();
  // This side waits in the split brain, or it stayed primary while the other waits in it.
  const bool split_brain = waits_in_split_brain(n) || (is_primary(n.state()) && peer && waits_in_split_brain(*peer));
  const std::string answer = n.prim(force);
  note(std::string("admin: ") + (force ? "primforce" : "prim") + " on " + name + ": " + (answer.empty() ? "accepted" : answer));
  if (!answer.empty()) {
    ++stats_.admin_prims_refused;
    return false;
  }
  slot(name).admin_prim_ns = cluster_.scheduler().now_ns();
  if (split_brain) resolve_split_brain(name);
  return true;
}

// The admin chose `winner`'s data in a reported split brain: what only the loser
// acknowledged after the copies parted is gone (counted, not a violation) and, for the
// winner's lineage, never happened; the winner's own acknowledgements, set aside when
// the loser was checked, are owed again.
void Run::resolve_split_brain(const std::string& winner) {
  const std::string loser = other(winner);
  if (resolved_winner_ == loser) reverse_split_brain_choice(winner);
  // The loser's acknowledgements before the last sample that saw the pair synchronised
  // are on the winner too, and missing ones stay violations.
  const NodeSlot& w = slot(winner);
  const Parting parted{w.last_synchronised_ns, std::max(w.last_synchronised_ns, w.last_second_ns + kSampleIntervalNs)};
  const std::string why = "acknowledged by " + loser + ", the losing side of the split brain resolved for " + winner;
  std::uint64_t lost = 0;
  for (const std::uint64_t id : suspicion_demoted_) {
    const OpRecord& op = oracle_.op(id);
    if (op.node == winner || op.done_ns <= parted.synchronised_ns) {
      oracle_.promote(id);
      continue;
    }
    // Submitted while the pair was synchronised, acknowledged alone later: it may have
    // reached the winner before the copies parted, and stays uncertain (as in
    // exclude_loser_ops_on; seed 2586: a write node2 applied while its acknowledgements
    // were cut one way, which node1 acknowledged alone once it ended the silent link).
    if (op.submitted_ns <= parted.synchronised_ns) continue;
    set_aside(id, true);
    oracle_.exclude(id, why);
    ++lost;
  }
  suspicion_demoted_.clear();
  lost += exclude_loser_ops(winner, parted, why);
  resolved_winner_ = winner;
  resolved_parting_ = parted;
  loser_reintegrated_ = false;
  stats_.split_brain_lost_acks += lost;
  note("split brain resolved for " + winner + ": " + std::to_string(lost) + " ops acknowledged by " + loser + " are lost");
}

// Leaves out of the model the loser's acknowledged ops, after the copies parted, that
// `winner`'s disk contradicts. A check names one op per difference it finds, and others
// that would each explain it (Mismatch::or_*; a file of the wrong size is one
// difference, whatever the ops inside it): leaving those out reveals the next ones, so
// check again until no loser's op is named.
std::uint64_t Run::exclude_loser_ops(const std::string& winner, const Parting& parted, const std::string& why) {
  return exclude_loser_ops_on(winner, winner, parted, std::numeric_limits<std::int64_t>::max(), why);
}

std::uint64_t Run::exclude_loser_ops_on(const std::string& judged_on, const std::string& winner, const Parting& parted,
                                        std::int64_t until_ns, const std::string& why) {
  const std::string loser = other(winner);
  std::uint64_t lost = 0;
  for (bool excluded = true; excluded;) {
    excluded = false;
    for (const Mismatch& m : oracle_.check(cluster_.node(judged_on).disk())) {
      std::vector<std::uint64_t> candidates = m.or_op_ids;
      candidates.push_back(m.op_id);
      for (const std::uint64_t id : candidates) {
        if (id == 0) continue;
        const OpRecord& op = oracle_.op(id);
        if (op.node != loser || op.outcome != OpOutcome::acked || op.excluded || op.done_ns <= parted.synchronised_ns) continue;
        if (op.done_ns > until_ns) continue;
        if (op.submitted_ns <= parted.synchronised_ns) {
          // Submitted while the pair was synchronised, acknowledged alone later: it
          // may have reached the winner before the link broke (seed 2484: a rename
          // the winner had applied, left out, blurred the renamed files' history).
          if (op.demoted) continue;
          set_aside(id, false);
          oracle_.demote(id, why + " (submitted before the copies parted: it may have reached " + winner + ")");
        } else {
          set_aside(id, false);
          oracle_.exclude(id, why);
        }
        ++lost;
        excluded = true;
      }
    }
  }
  // A difference an op left out explains: it reached the winner after all. Only one
  // taken while the winner was still a secondary can have (property counterexample
  // 268642: a create the winner applied, then froze before acknowledging it, "exists
  // but no op ever created it"; seed 21320: an unlink the frozen winner applied from
  // its socket on the thaw, "missing" against the write before it): it is readmitted,
  // uncertain. Widening only where the disk shows it keeps the winner's own history
  // sharp.
  for (bool readmitted = true; readmitted;) {
    readmitted = false;
    for (const Mismatch& m : oracle_.check(cluster_.node(judged_on).disk())) {
      for (const OpRecord& op : oracle_.ops()) {
        if (op.node != loser || !op.excluded || op.done_ns <= parted.synchronised_ns || op.submitted_ns > parted.reachable_ns) continue;
        if (op.path != m.path && op.target != m.path) continue;
        oracle_.readmit(op.id, why + " (taken while " + winner + " was still its secondary: it may be there)");
        readmitted = true;
      }
    }
  }
  return lost;
}

// The pair is synchronised after the admin's split-brain choice: the loser's copy was
// overwritten by the winner's, and the choice is final. Only when the winner serves
// is that sure: had the loser's copy been chosen after all, its late ops are on both.
void Run::settle_split_brain_choice() {
  exclude_late_loser_ops();
  if (node(resolved_winner_)->state() != core::NodeState::prim) return;
  settled_choices_.push_back(SettledChoice{resolved_winner_, resolved_parting_, cluster_.scheduler().now_ns()});
}

// A loser's op that a settled choice discarded may not have been named when it was
// settled: an uncertain op after it in the model (a write still in flight, seed 4847)
// covered the difference. When that op becomes certain, the difference reappears and
// names the loser's op (there: a truncate the winner never saw, revealed by a write
// past the end): it was lost by that choice, not by replication. Called before every
// judgement of a serving copy, whose data descends from the winners' since.
void Run::exclude_revealed_loser_ops(const std::string& judged_on) {
  for (const SettledChoice& choice : settled_choices_) {
    const std::string loser = other(choice.winner);
    const std::uint64_t lost =
        exclude_loser_ops_on(judged_on, choice.winner, choice.parted, choice.settled_ns,
                             "acknowledged by " + loser + ", the losing side of the split brain settled for " +
                                 choice.winner + " at " + format_time(choice.settled_ns));
    stats_.split_brain_lost_acks += lost;
    if (lost > 0) {
      note(std::to_string(lost) + " ops acknowledged by " + loser + " before the split brain was settled for " +
           choice.winner + " at " + format_time(choice.settled_ns) + " are lost (revealed only now)");
    }
  }
}

void Run::set_aside(std::uint64_t id, bool suspected) { set_aside_.push_back(SetAside{oracle_.op(id), suspected}); }

// The admin runs `prim` on the loser of its last split-brain choice before that
// loser's copy was overwritten (the two never met): it still holds its own side, and
// the choice is reversed. What the first choice set aside is owed again, as it was
// (seed 3362: node2 chosen, then crashed; later `prim` on node1, which had waited in
// the split brain all along).
//
// Unless the loser was since made the winner's secondary: a reintegration then began
// overwriting its copy with the winner's, and what the first choice set aside stays
// lost, whichever copy serves later (seeds 162821 and 172953: the reintegration
// failed on a disk error, neither copy was then up to date, and the admin's primforce
// chose that partly overwritten copy).
void Run::reverse_split_brain_choice(const std::string& winner) {
  if (loser_reintegrated_) {
    const std::size_t set_aside = set_aside_.size();
    // So do its ops acknowledged after the choice, before the two met (late ones, not
    // set aside yet), that its copy no longer holds.
    const std::uint64_t late = exclude_loser_ops_on(
        winner, other(winner), resolved_parting_, std::numeric_limits<std::int64_t>::max(),
        "acknowledged by " + winner + ", the losing side of the split brain resolved for " + other(winner) +
            ", whose reintegration into " + winner + " began");
    stats_.split_brain_lost_acks += late;
    note("the admin's earlier split-brain choice took effect on " + winner + "'s copy (a reintegration into it began): its " +
         std::to_string(set_aside) + " ops set aside and " + std::to_string(late) + " acknowledged later stay lost");
    set_aside_.clear();
    return;
  }
  note("the admin reverses its split-brain choice: " + winner + "'s " + std::to_string(set_aside_.size()) +
       " ops set aside by it are owed again");
  // Latest first: an op set aside twice (made uncertain, then left out) ends as it
  // was before the first.
  for (auto it = set_aside_.rbegin(); it != set_aside_.rend(); ++it) {
    const SetAside& saved = *it;
    OpRecord& op = oracle_.op(saved.before.id);
    op.demoted = saved.before.demoted;
    op.excluded = saved.before.excluded;
    op.demoted_why = saved.before.demoted_why;
    if (saved.suspected) suspicion_demoted_.insert(op.id);
  }
  set_aside_.clear();
}

// Each second of the liveness phase: what an admin watching the console would do.
void Run::liveness_admin() {
  const std::int64_t now = cluster_.scheduler().now_ns();
  bool any_primary = false;
  for (auto& [name, s] : slots_) {
    if (!s.node) restart(s);
    if (s.node->state() == core::NodeState::stop) {
      note("admin: start " + name);
      start_stopped(s);
    }
    any_primary = any_primary || is_primary(s.node->state());
  }
  core::Node& one = *slot("node1").node;
  core::Node& two = *slot("node2").node;
  // Prefer the node whose data holds every acknowledged op (an admin picks the newest).
  auto missing = [this](const std::string& name) { return oracle_.check(cluster_.node(name).disk()).size(); };
  auto pick = [&] {
    const std::size_t m1 = missing("node1");
    const std::size_t m2 = missing("node2");
    if (m1 != m2) return std::string(m1 < m2 ? "node1" : "node2");
    return random_node();
  };
  const bool split = one.state() == core::NodeState::wait && two.state() == core::NodeState::wait &&
                     (one.state_reason().find("SPLIT BRAIN") != std::string::npos ||
                      two.state_reason().find("SPLIT BRAIN") != std::string::npos);
  if (split) {
    // The admin picks the data that wins, not the node that accepts: prim on the
    // better copy, and primforce there when prim is refused (property counterexample
    // 872608: prim refused there for good, after a disk error marked it inconsistent).
    admin_prim(pick(), prim_attempts_++ > 0);
    return;
  }
  // One side stayed primary while the other waits in the split brain: the admin keeps
  // the side that kept serving (prim there settles it; the other is reintegrated).
  if (waits_in_split_brain(one) && is_primary(two.state())) {
    admin_prim("node2", false);
    return;
  }
  if (waits_in_split_brain(two) && is_primary(one.state())) {
    admin_prim("node1", false);
    return;
  }
  if (any_primary) {
    no_primary_since_ns_ = -1;
    prim_attempts_ = 0;
    return;
  }
  if (no_primary_since_ns_ < 0) no_primary_since_ns_ = now;
  const std::int64_t patience_ns = (2 * scenario_.cluster.timeout_ms + (scenario_.cluster.witness ? 30000 : 5000)) * io::kNsPerMs;
  if (now - no_primary_since_ns_ < patience_ns) return;
  // prim was tried a whole patience ago and a node still waits for the witness lease:
  // its log says the witness refuses it ("only primforce takes the lease"). An admin
  // follows that advice where the witness's record predates this cluster (an old
  // witness state kept from an earlier installation, RunOptions::
  // witness_recorded_generation), and only on a copy missing no more acknowledged ops
  // than the other: primforce on a staler copy would overwrite acknowledged writes.
  // Otherwise the protocol itself left the witness refusing the up-to-date copy, and
  // that stays a convergence violation (property counterexample 622878).
  std::string waiting = waits_for_lease(one) ? "node1" : waits_for_lease(two) ? "node2" : "";
  if (waits_for_lease(one) && waits_for_lease(two)) waiting = pick();
  if (options_.witness_recorded_generation != 0 && prim_attempts_ > 0 && !waiting.empty() &&
      missing(waiting) <= missing(other(waiting))) {
    ++prim_attempts_;
    admin_prim(waiting, true);
    no_primary_since_ns_ = now;
    return;
  }
  // prim on the better copy, then the other; when both refuse (neither is up to date),
  // primforce on the better one: the admin's explicit act.
  const std::string first = pick();
  const bool force = prim_attempts_++ > 0;
  if (!admin_prim(first, force) && !force) admin_prim(other(first), false);
  no_primary_since_ns_ = now;
}

}  // namespace hamirror::sim::runner
