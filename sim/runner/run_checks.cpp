// The invariants (run.h), judged from outside the nodes: the oracle, the disks, the
// VIP registry and simulated time. Node flags only decide when to look (is the pair
// synchronised? has the liveness phase converged?), never what counts as correct.
#include <algorithm>

#include "io/assert.h"
#include "sim/runner/run_impl.h"

namespace hamirror::sim::runner {

namespace {

constexpr std::size_t kMismatchesShown = 5;
constexpr std::int64_t kProbeBudgetNs = 20 * io::kNsPerS;

std::string other(const std::string& name) { return name == "node1" ? "node2" : "node1"; }

}  // namespace

// One PRIM and a synchronised SECOND, both running and not frozen.
bool Run::pair_synchronised_now() {
  core::Node* one = node("node1");
  core::Node* two = node("node2");
  if (one == nullptr || two == nullptr || cluster_.node("node1").frozen() || cluster_.node("node2").frozen()) return false;
  const bool one_serves = one->state() == core::NodeState::prim && two->synchronised() && !one->reintegration_progress();
  const bool two_serves = two->state() == core::NodeState::prim && one->synchronised() && !two->reintegration_progress();
  return one_serves || two_serves;
}

void Run::sample() {
  if (phase_ == Phase::done) return;
  const bool healthy = pair_synchronised_now();
  if (healthy && !resolved_winner_.empty() && node(other(resolved_winner_))->state() == core::NodeState::prim) {
    // The two met the other way: the loser of the admin's last choice serves, the
    // winner's copy is its synchronised secondary. The copy the admin chose did not
    // hold (seed 60722: without a witness, prim on node2, then prim on node1, which
    // acknowledged nothing alone after it; the core made node2, which had served,
    // the copy that wins), so the choice that took effect is the loser's: it is
    // resolved so, as if the admin had chosen it last. Judged before this sample
    // moves the parting.
    note("the admin's split-brain choice of " + resolved_winner_ + " did not hold: " + other(resolved_winner_) +
         " serves and " + resolved_winner_ + " is its synchronised secondary");
    resolve_split_brain(other(resolved_winner_));
  }
  if (healthy) {
    slot("node1").last_synchronised_ns = cluster_.scheduler().now_ns();
    slot("node2").last_synchronised_ns = cluster_.scheduler().now_ns();
    // The loser's copy was overwritten: the choice is final.
    if (!resolved_winner_.empty()) settle_split_brain_choice();
    resolved_winner_.clear();
    set_aside_.clear();
  }
  for (const char* name : {"node1", "node2"}) {
    if (const core::Node* n = node(name); n != nullptr && n->state() == core::NodeState::second) {
      slot(name).last_second_ns = cluster_.scheduler().now_ns();
    }
  }
  if (scenario_.cluster.witness) check_vip_now();
  cluster_.scheduler().after(kSampleIntervalNs, [this] { sample(); });
}

bool Run::cut_off_or_ordered_since_synchronised(const NodeSlot& s) {
  return s.silence.last_long_silence_end_ns(cluster_.scheduler().now_ns()) > s.last_synchronised_ns ||
         s.admin_prim_ns > s.last_synchronised_ns;
}

// With a witness, two VIP holders at once is a violation the moment it is seen (a
// frozen holder, or one thawed less than the step-down budget ago, excepted).
void Run::check_vip_now() {
  const auto holders = cluster_.vips().holders(kVip);
  if (holders.size() < 2) return;
  const std::int64_t now = cluster_.scheduler().now_ns();
  for (const auto& holder : holders) {
    for (const auto& [from, until] : frozen_[holder]) {
      if (now >= from && (until == kStillHeld || now <= until + 2 * io::kNsPerS)) return;
    }
  }
  fail("single_primary", "node1 and node2 both hold the VIP at " + format_time(now) + ", with a witness configured");
}

void Run::on_acknowledged(const std::string& name, std::int64_t submitted_ns) {
  const std::int64_t now = cluster_.scheduler().now_ns();
  slot(name).write_failed = false;  // serving again
  if (last_ack_node_ != name) {
    const core::Node* n = slot(name).node.get();
    if (!last_ack_node_.empty() && submitted_ns < last_ack_switch_ns_ && n && n->state() == core::NodeState::prim) {
      // A late completion (seed 492: a frozen PRIM thawing after its secondary took
      // over): accepted before the peer began acknowledging, and completed by a PRIM,
      // which needs its secondary's acknowledgement -- the serving copy has it. Not a
      // new acknowledging period.
      note(name + " completes op submitted at " + format_time(submitted_ns) + ", before " + last_ack_node_ +
           " began acknowledging: a late completion, on both copies");
      return;
    }
    last_ack_switch_ns_ = now;
    if (!last_ack_node_.empty()) {
      ++stats_.primary_changes;
      recent_switches_ns_.push_back(now);
      while (!recent_switches_ns_.empty() && recent_switches_ns_.front() < now - kFlipFlopWindowNs) recent_switches_ns_.pop_front();
      if (recent_switches_ns_.size() >= 2) {
        if (scenario_.cluster.witness) {
          fail("single_primary", "node1 and node2 both acknowledged writes within " + format_time(kFlipFlopWindowNs) +
                                     " (ack source changed twice), with a witness configured");
          return;
        }
        // The loser of the split brain the admin just resolved, still serving its own
        // side until the two meet (seed 192434: frozen when the admin chose), belongs to
        // that reported split brain, not to a new one.
        if (!loser_serves_resolved_side()) flip_flops_ns_.push_back(now);
      }
      note(name + " acknowledges now (before: " + last_ack_node_ + ")");
      last_ack_node_ = name;
      last_ack_incarnation_ = slot(name).incarnation;
      last_ack_copy_crashed_ = false;
      check_new_primary(name);
      return;
    }
    last_ack_node_ = name;
  }
  last_ack_incarnation_ = slot(name).incarnation;
  last_ack_copy_crashed_ = false;
}

// Missing ops acknowledged after `name` was last seen synchronised: it was stale and
// served anyway. Missing ops it had been synchronised past: replication lost them.
std::string Run::classify(const std::string& name, const std::vector<std::uint64_t>& missing) {
  const NodeSlot& s = slot(name);
  for (const std::uint64_t id : missing) {
    if (oracle_.op(id).node != name && oracle_.op(id).done_ns > s.last_synchronised_ns) return "stale_never_promoted";
  }
  return "no_acknowledged_write_lost";
}

// `name` acknowledged an op and the previous acknowledgement came from its peer: its
// copy must hold everything acknowledged so far.
// The loser of the split brain the admin resolved for resolved_winner_ may go on
// acknowledging until the two meet (seed 654: half a second; seed 4593: a frozen loser,
// thawed after the winner had begun): those are the losing side's acknowledgements
// too, lost by the admin's choice and counted. Called whenever the winner begins
// acknowledging, and once more when the pair is first seen synchronised.
void Run::exclude_late_loser_ops() {
  const std::string& winner = resolved_winner_;
  const std::string loser = other(winner);
  const std::uint64_t late = exclude_loser_ops(winner, resolved_parting_, "acknowledged by " + loser +
                                                   " after the admin resolved the split brain for " + winner +
                                                   ", before the two met");
  stats_.split_brain_lost_acks += late;
  if (late > 0) note(std::to_string(late) + " more ops acknowledged by " + loser + " before it met " + winner + " are lost");
}

bool Run::loser_serves_resolved_side() const { return !resolved_winner_.empty() && !loser_reintegrated_; }

void Run::check_new_primary(const std::string& name) {
  if (name == resolved_winner_) exclude_late_loser_ops();
  if (!resolved_winner_.empty() && name == other(resolved_winner_)) {
    // The loser, cut off when the admin chose, serves its own side until the two meet
    // (seed 6380): its copy lacks the winner's writes by the admin's choice, and what
    // it acknowledges now is lost when they meet (exclude_late_loser_ops).
    note(name + " acknowledges on its own side of the split brain resolved for " + resolved_winner_ +
         ": lost when the two meet");
    return;
  }
  exclude_revealed_loser_ops(name);
  const auto mismatches = oracle_.check(cluster_.node(name).disk());
  if (mismatches.empty()) return;
  std::vector<std::uint64_t> by_peer;
  std::string detail = name + " began acknowledging at " + format_time(cluster_.scheduler().now_ns()) +
                       " but its replicated directory contradicts " + std::to_string(mismatches.size()) + " thing(s):";
  bool own = false;
  const std::int64_t now = cluster_.scheduler().now_ns();
  for (std::size_t i = 0; i < mismatches.size(); ++i) {
    const Mismatch& m = mismatches[i];
    // An op this node acknowledged only now is not evidence that it lost its own
    // writes: the mismatch is named after the op that last shaped that range in the
    // oracle's model, and a write past the end of a file the peer recreated meanwhile
    // names the write, not the peer's ops that explain the difference.
    const bool just_now = m.op_id != 0 && oracle_.op(m.op_id).node == name && oracle_.op(m.op_id).done_ns >= now;
    // A difference another op of the peer's explains as well (the rename that moved
    // this node's old writes elsewhere, seed 873) is the peer's, not a loss of its own.
    std::uint64_t peer_op = 0;
    for (const std::uint64_t id : m.or_op_ids) {
      if (id != 0 && oracle_.op(id).node != name && oracle_.op(id).certain()) peer_op = id;
    }
    if (!just_now && m.op_id != 0 && oracle_.op(m.op_id).node == name && peer_op != 0) by_peer.push_back(peer_op);
    else if (m.op_id == 0 || (oracle_.op(m.op_id).node == name && !just_now)) own = true;
    else if (!just_now) by_peer.push_back(m.op_id);
    if (i < kMismatchesShown) {
      detail += "\n  " + m.path + ": " + m.what + (m.op_id ? "; " + describe(oracle_.op(m.op_id)) : "");
    }
  }
  const std::string invariant = own ? "no_acknowledged_write_lost" : classify(name, by_peer);
  if (scenario_.cluster.witness || own) {
    fail(invariant, detail);
    return;
  }
  // Without a witness this may be the peer's side of a split brain: allowed only if
  // this node had lost its peer's heartbeats (or took an admin's prim) since they were
  // last synchronised, and only if the nodes report it (checked at the end). A node that
  // heard its peer all along serves alone only once the peer confirmed its copy outdated
  // and can no longer serve (seed 492 with the canary alone_without_outdated_confirmation:
  // a PRIM thawed from a freeze, heard its peer serving, and went ALONE as well).
  if (!cut_off_or_ordered_since_synchronised(slot(name))) {
    fail("single_primary", detail + "\n  yet since the pair was last synchronised (" +
                               format_time(slot(name).last_synchronised_ns) + ") " + name + " never went " +
                               format_time(long_silence_ns(scenario_.cluster.timeout_ms)) + " without " + other(name) +
                               "'s heartbeats, and no admin told it to serve: a split brain the network did not cause");
    return;
  }
  // Meanwhile these ops are owed by nobody.
  std::int64_t earliest = cluster_.scheduler().now_ns();
  for (const std::uint64_t id : by_peer) {
    if (!oracle_.op(id).certain()) continue;
    earliest = std::min(earliest, oracle_.op(id).done_ns);
    oracle_.demote(id, "missing on " + name + " when it began acknowledging (split brain?)");
    suspicion_demoted_.insert(id);
  }
  suspicions_.push_back(Suspicion{cluster_.scheduler().now_ns(), earliest, name, invariant, detail});
  note("suspicion: " + detail);
}

bool Run::explained_by_split_brain(const Suspicion& suspicion) const {
  return std::any_of(split_brain_reports_ns_.begin(), split_brain_reports_ns_.end(),
                     [&](std::int64_t at) { return at >= suspicion.earliest_ack_ns; });
}

std::string Run::tree_difference() {
  const auto& d1 = cluster_.node("node1").disk();
  const auto& d2 = cluster_.node("node2").disk();
  auto replicated = [](const fsim::MemFs& disk) {
    std::vector<fsim::TreeEntry> entries;
    for (auto& entry : disk.tree()) {
      if (entry.path.starts_with(std::string(kRoot) + "/")) entries.push_back(entry);
    }
    return entries;
  };
  const auto t1 = replicated(d1);
  const auto t2 = replicated(d2);
  for (std::size_t i = 0; i < std::max(t1.size(), t2.size()); ++i) {
    if (i >= t1.size()) return t2[i].path + " only on node2";
    if (i >= t2.size()) return t1[i].path + " only on node1";
    if (t1[i].path != t2[i].path) return "node1 has " + t1[i].path + " where node2 has " + t2[i].path;
    if (!(t1[i] == t2[i])) return t1[i].path + ": sizes " + std::to_string(t1[i].size_bytes) + " and " + std::to_string(t2[i].size_bytes);
    // By FileData equality: pieces both copies share (a payload written on both
    // nodes is the same pool slice) compare by address, not byte by byte.
    if (t1[i].kind == io::FileKind::regular && d1.data_of(t1[i].path) != d2.data_of(t2[i].path)) {
      return t1[i].path + ": contents differ";
    }
    if (d1.mode_of(t1[i].path) != d2.mode_of(t2[i].path)) {
      return t1[i].path + ": modes " + octal(d1.mode_of(t1[i].path).value_or(0)) + " and " + octal(d2.mode_of(t2[i].path).value_or(0));
    }
  }
  return {};
}

bool Run::converged() {
  core::Node* one = node("node1");
  core::Node* two = node("node2");
  convergence_problem_.clear();
  if (!one || !two) return false;
  // Settled: PRIM with its role's resources taken (not taking them, nor handing the
  // role back for defaultprim), the peer synchronised with its role left (its VIP
  // gone), no reintegration running.
  auto serves = [](core::Node& primary, core::Node& secondary) {
    return primary.state() == core::NodeState::prim && primary.role_state() == core::PrimaryRole::State::primary &&
           !primary.handing_over() &&
           secondary.synchronised() && secondary.role_state() == core::PrimaryRole::State::secondary &&
           !primary.reintegration_progress();
  };
  const bool one_serves = serves(*one, *two);
  const bool two_serves = serves(*two, *one);
  if (!one_serves && !two_serves) return false;
  for (const OpRecord& op : oracle_.ops()) {
    if (op.outcome == OpOutcome::pending) {
      convergence_problem_ = "op never answered: " + describe(op);
      return false;
    }
  }
  convergence_problem_ = tree_difference();
  return convergence_problem_.empty();
}

// A new write on the primary is acknowledged and reaches the secondary.
bool Run::probe_write(const std::string& primary, const std::string& secondary) {
  int answered = 0;
  io::Error result = io::Error::ok;
  core::Node& p = *slot(primary).node;
  const std::int64_t deadline = cluster_.scheduler().now_ns() + kProbeBudgetNs;
  const std::vector<core::FileOp> ops = {
      core::FileOp{.kind = core::OpKind::create, .path = "probe"},
      core::FileOp{.kind = core::OpKind::write, .path = "probe", .offset = 0, .data = io::Bytes{'p', 'r', 'o', 'b', 'e'}}};
  for (const core::FileOp& op : ops) {
    // A primary may ask writers to come back (would_block) while it plans or drains.
    io::Error accepted = io::Error::would_block;
    while (cluster_.scheduler().now_ns() < deadline) {
      accepted = p.submit(core::FileOp(op), [&](io::Error e) {
        ++answered;
        if (e != io::Error::ok) result = e;
      });
      if (accepted != io::Error::would_block) break;
      cluster_.scheduler().run_for(10 * io::kNsPerMs);
    }
    if (accepted != io::Error::ok) {
      note("probe: " + primary + " refused a write: " + std::string(io::error_name(accepted)));
      return false;
    }
  }
  cluster_.scheduler().run_until([&] { return answered == 2; }, deadline);
  if (answered != 2 || result != io::Error::ok) {
    note("probe: " + std::to_string(answered) + " of 2 ops answered, result " + std::string(io::error_name(result)));
    return false;
  }
  // Comparing trees costs a pass over both disks: every 100 ms, not every event.
  while (!tree_difference().empty() && cluster_.scheduler().now_ns() < deadline) {
    cluster_.scheduler().run_for(100 * io::kNsPerMs);
  }
  const auto copy = cluster_.node(secondary).disk().contents(std::string(kRoot) + "/probe");
  return copy && *copy == io::Bytes{'p', 'r', 'o', 'b', 'e'};
}

void Run::check_vip_overlaps() {
  const auto& history = cluster_.vips().history(kVip);
  auto frozen_during = [this](const std::string& name, std::int64_t from, std::int64_t until) {
    for (const auto& [f, t] : frozen_[name]) {
      const std::int64_t thawed = t == kStillHeld ? kStillHeld : t + 2 * io::kNsPerS;  // the step-down budget
      if (from >= f && until <= thawed) return true;
    }
    return false;
  };
  for (std::size_t i = 0; i < history.size() && !violation_; ++i) {
    for (std::size_t j = i + 1; j < history.size(); ++j) {
      const VipInterval& a = history[i];
      const VipInterval& b = history[j];
      if (a.node == b.node) continue;
      const std::int64_t from = std::max(a.from_ns, b.from_ns);
      const std::int64_t until = std::min(a.until_ns, b.until_ns);
      if (from >= until) continue;
      if (frozen_during(a.node, from, until) || frozen_during(b.node, from, until)) {
        ++stats_.frozen_vip_overlaps;
        continue;
      }
      const std::string what = "the VIP was held by " + a.node + " and " + b.node + " from " + format_time(from) + " to " +
                               (until == kStillHeld ? std::string("the end") : format_time(until));
      // Without a witness both sides of a partition may go ALONE and take the VIP
      // (SafeKit's rule); only writes on both sides make it a split brain, which the
      // data checks and the flip-flop check hold to being reported.
      if (scenario_.cluster.witness) fail("single_primary", what + ", with a witness configured");
      else ++stats_.vip_overlaps_without_witness;
      break;
    }
  }
}

void Run::safety_checks() {
  for (const Suspicion& s : suspicions_) {
    if (!explained_by_split_brain(s)) return fail(s.invariant, s.detail + "\n  and no split brain was ever reported");
  }
  for (const std::int64_t at : flip_flops_ns_) {
    const bool reported = std::any_of(split_brain_reports_ns_.begin(), split_brain_reports_ns_.end(),
                                      [&](std::int64_t r) { return r >= at; });
    if (!reported) {
      return fail("single_primary", "both nodes acknowledged writes at " + format_time(at) + " and no split brain was reported");
    }
  }
  check_vip_overlaps();
}

void Run::final_checks() {
  const std::string primary = node("node1")->state() == core::NodeState::prim ? "node1" : "node2";
  const std::string secondary = other(primary);
  exclude_revealed_loser_ops(primary);
  const auto mismatches = oracle_.check(cluster_.node(primary).disk());
  if (!mismatches.empty()) {
    std::vector<std::uint64_t> ids;
    std::string detail = "after convergence, the primary " + primary + "'s replicated directory contradicts " +
                         std::to_string(mismatches.size()) + " thing(s):";
    for (std::size_t i = 0; i < mismatches.size(); ++i) {
      if (mismatches[i].op_id) ids.push_back(mismatches[i].op_id);
      if (i < kMismatchesShown) {
        detail += "\n  " + mismatches[i].path + ": " + mismatches[i].what +
                  (mismatches[i].op_id ? "; " + describe(oracle_.op(mismatches[i].op_id)) : "");
      }
    }
    return fail(classify(primary, ids), detail);
  }
  safety_checks();
  if (violation_) return;
  if (!probe_write(primary, secondary)) {
    return fail("convergence", "a write on the converged primary " + primary + " was not acknowledged and replicated within " +
                                   format_time(kProbeBudgetNs));
  }
  const auto holders = cluster_.vips().holders(kVip);
  if (holders != std::vector<std::string>{primary}) {
    std::string who;
    for (const auto& h : holders) who += " " + h;
    fail("convergence", "the VIP is held by [" + who + " ] instead of the primary " + primary);
  }
}

}  // namespace hamirror::sim::runner
