// Reintegration as the node drives it: planning fast or full, starting it from the
// primary, being reintegrated as the secondary, and adopting the generation after.
#include "core/node/node.h"

#include <utility>

#include "core/activity/resync_plan.h"
#include "core/node/fast_resync.h"
#include "core/node/node_messages.h"
#include "io/assert.h"

namespace hamirror::core {

// Fast only when the peer's copy is the point this node's marks start from: the
// same generation (each side's marks cover what it did since), or the generation
// this node left when it went on alone (its marks cover everything since, as they
// are forgotten only once both copies are equal again). Diverged, unrelated, older
// or interrupted copies are compared in full.
bool Node::fast_reintegration_possible(const NodeHello& peer) const {
  if (!peer.generation.consistent || !generation_.consistent || activity_->failed()) return false;
  const DataRelation relation = compare(generation_, peer.generation);
  if (relation == DataRelation::same) return true;
  if (relation != DataRelation::local_newer || generation_.history.empty()) return false;
  // The peer's data is the point this node left, or that point plus changes its own
  // marks cover (it went on alone from there too and acknowledged nothing).
  const std::uint64_t left = generation_.history.front();
  return left == peer.generation.current ||
         (is_unacknowledged_alone(peer.generation) && peer.generation.history.front() == left);
}

// Marks only grow (dirty_map.h): they changed when the union with the hello's is more.
bool Node::changed_since_hello() const {
  DirtyMap both = hello_marks_;
  both.merge(activity_->marks());
  return both != hello_marks_;
}

void Node::reintegrate_peer(const std::string& reason, bool fast) {
  // While the peer is reintegrated this copy acknowledges writes alone (the peer is
  // durably inconsistent and cannot take over): that needs a new generation first.
  auto begin = [this, reason, fast] {
    if (!link_) return log("the replication link broke before the reintegration could start");
    source_ = std::make_unique<ReintegrationSource>(
        io_.fs, io_.clock, config_.roots, generation_,
        [this](FileOp&& op, ReintegrationSource::DoneFn&& done) { return replicator_->submit(std::move(op), std::move(done)); },
        ReintegrationSource::Listener{
            .on_synchronised = guarded([this] {
              last_reintegration_ = source_->progress();
              log(std::string(last_reintegration_fast_ ? "fast" : "full") + " reintegration of " + config_.peer +
                  " finished: " + std::to_string(last_reintegration_.bytes_done) + " bytes compared or sent, " +
                  std::to_string(last_reintegration_.data_bytes_sent) + " data bytes sent (in flight at most: " +
                  std::to_string(last_reintegration_.reads_in_flight_max) + " reads, " +
                  std::to_string(last_reintegration_.unanswered_max) + " messages, " +
                  std::to_string(last_reintegration_.bytes_in_flight_max) + " bytes)");
              if (state_ != NodeState::alone) {
                // Fenced meanwhile (the lease ran out): this node is no primary to pair
                // with. The nodes meet again and decide afresh.
                log("the reintegration finished while this node was " + std::string(node_state_name(state_)) +
                    ": meeting " + config_.peer + " again");
                return fail_link_soon("the reintegration finished while this node was not primary");
              }
              become_primary_with_secondary(config_.peer + " is synchronised");
            }),
            .on_failed = guarded([this](std::string why) {
              log("reintegration of " + config_.peer + " failed: " + why);
              fail_link_soon("reintegration failed");
            })},
        config_.reintegration_reads);
    log("reintegration of " + config_.peer + " begins (" + reason + ")");
    // The plan, or a full walk, must see every op issued here before it: the source
    // orders its reads after the live ops submitted to it, not after those already on
    // their way to this copy (a create still queued when the walk listed its directory
    // was missing from the listing, so the target removed it; seed 14565). New ops wait
    // until those in flight are done.
    planning_ = true;
    plan_fast_ = fast;
    plan_and_start_reintegration();
  };
  if (state_ == NodeState::alone) return begin();
  go_alone(reason + "; reintegrating " + config_.peer, begin);
}

void Node::plan_and_start_reintegration() {
  if (!planning_ || !source_ || replicator_->in_flight() > 0) return;  // called again on each completion
  if (!plan_fast_) return start_reintegration(std::nullopt, "the peer's data is not the point this node's record starts from");
  DirtyMap marks = activity_->marks();
  marks.merge(peer_marks_);
  plan_resync(io_.fs, config_.roots, std::move(marks), guarded([this](io::Result<ResyncPlan> plan) {
    if (!planning_ || !source_) return;
    if (!plan) return start_reintegration(std::nullopt, "planning failed: " + std::string(io::error_name(plan.error())));
    const ResyncCounters& counters = plan.value().counters;
    log("fast reintegration plan: " + std::to_string(counters.bytes_to_send) + " bytes in " + std::to_string(counters.files) +
        " files, " + std::to_string(counters.directories) + " directories, " + std::to_string(counters.removals) + " removals");
    start_reintegration(to_fast_resync_input(plan.value()), "the activity record cannot bound the differences");
  }));
}

void Node::start_reintegration(std::optional<FastResyncInput> fast, const std::string& why_full) {
  HM_ASSERT(source_ && link_);
  planning_ = false;
  last_reintegration_fast_ = fast.has_value();
  if (fast) {
    log("fast reintegration of " + config_.peer + " started");
    source_->start_fast(*link_, std::move(*fast));
  } else {
    log("full reintegration of " + config_.peer + " started (" + why_full + ")");
    source_->start_full(*link_);
  }
  writes_->kick();
}

void Node::be_reintegrated(const std::string& reason) {
  drop_replicator();
  replica_.reset();
  // From this meeting on the peer's data wins: this copy is fenced in memory at once
  // (this process never promotes it, prim is refused), and durably inconsistent from
  // the source's first frame on (the target's begin step). The source sends that frame
  // only once its own copy is durable, as it goes ALONE. Marked durably at the meeting,
  // this copy was lost with the source's unsynced one when the source crashed before
  // that (seed 9665: it waited 24 s for the witness lease, then crashed; this copy,
  // intact but marked, lost the next meeting, and writes acknowledged while the two
  // were paired were gone). A link lost before that frame leaves this copy as it was.
  const GenerationInfo unchanged = generation_;
  generation_.consistent = false;
  publish_status();
  auto persist_generation = [this](const GenerationInfo& info, std::function<void(io::Error)> done) {
    const io::Error queued = generation_file_->write(wire::encode_body(info), std::move(done));
    HM_ASSERT(queued == io::Error::ok);  // a reintegration writes the record twice: the queue never fills
  };
  target_ = std::make_unique<ReintegrationTarget>(
      io_.fs, config_.roots, persist_generation, unchanged,
      ReintegrationTarget::Listener{
          .on_begin = guarded([this](ResyncMode mode) {
            log(mode == ResyncMode::fast
                    ? "fast reintegration from " + config_.peer + " begins: only what changed while the copies were apart"
                    : "full reintegration from " + config_.peer + " begins: every file compared block by block");
          }),
          .on_synchronised = guarded([this] {
        // The target stays (idle) until the link goes: this runs inside its callback.
        generation_ = target_->generation();  // the primary's generation, consistent
        // This copy is the primary's now, and durable: its own marks say nothing more.
        activity_->end_alone();
        activity_->forget_marks(guarded([this](io::Error result) {
          if (result != io::Error::ok) log("cannot clear the dirty record: " + std::string(io::error_name(result)));
        }));
        const ResyncTargetCounters& done = target_->counters();
        become_secondary(generation_, "reintegration finished (" + std::to_string(done.data_bytes_written) +
                                          " data bytes written, " + std::to_string(done.live_ops_applied) +
                                          " live writes applied)");
      })});
  target_->attach(*link_);
  set_state(NodeState::second, reason + "; synchronising from " + config_.peer + "'s copy");
}

// The target wrote the generation record itself (consistent=false, then the
// primary's generation), or nothing yet (the copy is as it was before the meeting):
// the node's copy must follow it, never overwrite it.
void Node::adopt_target_generation() {
  if (!target_ || target_->synchronised()) return;
  generation_ = target_->generation();
  publish_status();
}

}  // namespace hamirror::core
