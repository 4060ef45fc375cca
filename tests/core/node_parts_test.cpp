// The node's own parts, one at a time: the write path (admission by the activity
// record, holding on a full applier), the activity tracker's ALONE marking and
// restart, and the conversion of a resync plan into the reintegration engine's input.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "core/node/activity_tracker.h"
#include "core/node/fast_resync.h"
#include "core/node/write_path.h"
#include "fsim/mem_fs.h"
#include "sim/scheduler.h"
#include "sim/sim_clock.h"
#include "sim/trace.h"

namespace hamirror::core {
namespace {

FileOp write_op(const std::string& path, std::uint64_t offset, std::size_t bytes) {
  FileOp op{.kind = OpKind::write, .path = path, .offset = offset};
  op.data = io::Bytes(bytes, 0xab);
  return op;
}

class NodeParts : public ::testing::Test {
 protected:
  NodeParts() { disk_.install_directory("/state"); }

  void load_tracker(bool first_start, ActivityTrackerOptions options = {}) {
    tracker_ = std::make_unique<ActivityTracker>(disk_, clock_, "/state", options,
                                                 [this](std::string_view line) { lines_.emplace_back(line); });
    bool loaded = false;
    tracker_->load(first_start, [&](io::Error e) {
      EXPECT_EQ(e, io::Error::ok);
      loaded = true;
    });
    ASSERT_TRUE(scheduler_.run_until([&] { return loaded; }, scheduler_.now_ns() + io::kNsPerS));
  }

  // Admits a write to path as the next op, runs until it may go, and completes it.
  bool admit_and_complete(const std::string& path) {
    const FileOp op = write_op(path, 0, 100);
    bool admitted = false;
    if (tracker_->before_write(++sequence_, op, [&](io::Error e) { admitted = e == io::Error::ok; }).what == Admission::proceed_now) {
      admitted = true;
    }
    if (!scheduler_.run_until([&] { return admitted; }, scheduler_.now_ns() + io::kNsPerS)) return false;
    tracker_->on_completed(sequence_, ActivityTracker::shape_of(op), io::Error::ok);
    return true;
  }

  sim::Trace trace_;
  sim::Scheduler scheduler_{trace_};
  sim::SimClock clock_{scheduler_};
  fsim::MemFs disk_{scheduler_, io::Prng(5)};
  std::unique_ptr<ActivityTracker> tracker_;
  std::vector<std::string> lines_;
  std::uint64_t sequence_ = 0;  // the last op admit_and_complete() numbered
};

// A fake applier: numbers ops like the Replicator, holds them until complete() runs,
// and is "full" (would_block) beyond `room` ops in flight.
struct FakeApplier {
  std::uint64_t next_sequence = 1;
  std::size_t room = 2;
  std::deque<std::pair<FileOp, WritePath::DoneFn>> in_flight;
  io::Error issue(FileOp&& op, WritePath::DoneFn&& done) {
    if (in_flight.size() >= room) return io::Error::would_block;
    ++next_sequence;
    in_flight.emplace_back(std::move(op), std::move(done));
    return io::Error::ok;
  }
  void complete(io::Error result = io::Error::ok) {
    auto [op, done] = std::move(in_flight.front());
    in_flight.pop_front();
    done(result);
  }
};

TEST_F(NodeParts, the_write_path_holds_admitted_ops_intact_while_the_applier_is_full_and_keeps_their_order) {
  load_tracker(true);
  FakeApplier applier;
  std::vector<std::uint64_t> completed;
  WritePath path(
      *tracker_, [&] { return applier.next_sequence; },
      [&](FileOp&& op, WritePath::DoneFn&& done) { return applier.issue(std::move(op), std::move(done)); },
      [&](std::uint64_t sequence, const FileOp& shape, io::Error) {
        completed.push_back(sequence);
        EXPECT_TRUE(shape.data.empty());  // the shape carries the length, not the bytes
        EXPECT_EQ(shape.size_bytes, 100 + sequence);
      });
  std::vector<int> writers_done;
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(path.submit(write_op("f", 0, 100 + i), [&, i](io::Error e) {
      EXPECT_EQ(e, io::Error::ok);
      writers_done.push_back(i);
    }), io::Error::ok);
  }
  ASSERT_TRUE(scheduler_.run_until([&] { return applier.in_flight.size() == 2; }, io::kNsPerS));
  EXPECT_EQ(path.waiting(), 3u);
  while (!applier.in_flight.empty()) {
    // Each op arrives whole: its data survived being offered to a full applier.
    EXPECT_EQ(applier.in_flight.front().first.data.size(), 100 + applier.next_sequence - applier.in_flight.size());
    applier.complete();
    scheduler_.run_until([] { return false; }, scheduler_.now_ns() + io::kNsPerMs);
  }
  EXPECT_EQ(completed, (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(writers_done, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST_F(NodeParts, ops_not_yet_issued_fail_when_the_node_stops_being_primary) {
  load_tracker(true);
  FakeApplier applier;
  applier.room = 1;
  WritePath path(
      *tracker_, [&] { return applier.next_sequence; },
      [&](FileOp&& op, WritePath::DoneFn&& done) { return applier.issue(std::move(op), std::move(done)); },
      [](std::uint64_t, const FileOp&, io::Error) {});
  std::vector<io::Error> results;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(path.submit(write_op("f", 0, 10), [&](io::Error e) { results.push_back(e); }), io::Error::ok);
  ASSERT_TRUE(scheduler_.run_until([&] { return applier.in_flight.size() == 1; }, io::kNsPerS));
  scheduler_.run_for(10 * io::kNsPerMs);  // the record is durable: nothing waits for its go
  ASSERT_EQ(path.waiting(), 2u);
  path.fail_waiting(io::Error::read_only);
  EXPECT_EQ(results, (std::vector<io::Error>{io::Error::read_only, io::Error::read_only}));
  applier.complete();
  EXPECT_EQ(results.back(), io::Error::ok);
}

// A node that stops drops its write path with the activity log: the op awaiting its
// go (its extent's record write) would never hear of it (seed 21769).
TEST_F(NodeParts, an_op_awaiting_its_go_fails_when_the_path_is_abandoned) {
  load_tracker(true);
  FakeApplier applier;
  WritePath path(
      *tracker_, [&] { return applier.next_sequence; },
      [&](FileOp&& op, WritePath::DoneFn&& done) { return applier.issue(std::move(op), std::move(done)); },
      [](std::uint64_t, const FileOp&, io::Error) {});
  std::vector<io::Error> results;
  ASSERT_EQ(path.submit(write_op("f", 0, 10), [&](io::Error e) { results.push_back(e); }), io::Error::ok);
  ASSERT_EQ(path.waiting(), 1u) << "its extent's record write is under way";
  path.fail_waiting(io::Error::read_only);
  EXPECT_TRUE(results.empty()) << "fail_waiting leaves it its place: it fails when go runs";
  path.abandon(io::Error::read_only);
  EXPECT_EQ(results, (std::vector<io::Error>{io::Error::read_only}));
  scheduler_.run_for(10 * io::kNsPerMs);  // the record write completes; its go does nothing
  EXPECT_EQ(results.size(), 1u);
  EXPECT_TRUE(applier.in_flight.empty());
}

// PRIM: a checkpoint retires what the one before it covered, so an extent a writer
// keeps using stays active and its next write needs no record write.
TEST_F(NodeParts, prim_retires_extents_one_checkpoint_late_and_keeps_a_hot_one) {
  load_tracker(true);
  ASSERT_TRUE(admit_and_complete("hot"));
  ASSERT_TRUE(admit_and_complete("cold"));
  tracker_->on_durable_on_both(sequence_);
  EXPECT_EQ(tracker_->active_extents(), 2u) << "written since no earlier checkpoint: both stay";
  ASSERT_TRUE(admit_and_complete("hot"));
  tracker_->on_durable_on_both(sequence_);
  EXPECT_EQ(tracker_->active_extents(), 1u) << "cold retires; hot was written again since";
  tracker_->on_durable_on_both(sequence_);
  EXPECT_EQ(tracker_->active_extents(), 0u) << "nothing written since the checkpoint before";
  // A primary handing its role over writes nothing more: all retire at once.
  ASSERT_TRUE(admit_and_complete("hot"));
  tracker_->on_durable_on_both(sequence_, ActivityTracker::Retiring::everything_durable);
  EXPECT_EQ(tracker_->active_extents(), 0u);
}

// Writers waiting for room do not wait a checkpoint more: a full log retires all that
// is durable on both at once.
TEST_F(NodeParts, a_full_log_retires_everything_durable_at_once) {
  load_tracker(true, ActivityTrackerOptions{.activity = {.max_active = 2, .extents_ahead = 0}});
  ASSERT_TRUE(admit_and_complete("a"));
  ASSERT_TRUE(admit_and_complete("b"));
  bool admitted = false;
  ASSERT_EQ(tracker_->before_write(++sequence_, write_op("c", 0, 100), [&](io::Error e) { admitted = e == io::Error::ok; }).what,
            Admission::wait_for_go);
  EXPECT_TRUE(tracker_->wants_checkpoint());
  tracker_->on_durable_on_both(sequence_ - 1);
  EXPECT_TRUE(scheduler_.run_until([&] { return admitted; }, scheduler_.now_ns() + io::kNsPerS));
}

TEST_F(NodeParts, alone_marks_survive_a_crash_and_come_back_as_the_recovered_marks) {
  load_tracker(true);
  tracker_->begin_alone(0);
  bool admitted = false;
  const FileOp op = write_op("f", 8192, 100);
  const Admit admit = tracker_->before_write(1, op, [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    admitted = true;
  });
  if (admit.what == Admission::proceed_now) admitted = true;
  ASSERT_TRUE(scheduler_.run_until([&] { return admitted; }, scheduler_.now_ns() + io::kNsPerS));
  tracker_->on_completed(1, ActivityTracker::shape_of(op), io::Error::ok);
  const DirtyMap before = tracker_->marks();
  ASSERT_NE(before.find({0, "f"}), nullptr);
  // Power loss, whenever: the log's extent or the saved map covers the write.
  tracker_.reset();
  disk_.crash();
  load_tracker(false);
  const DirtyMap recovered_marks = tracker_->marks();
  const DirtyEntry* recovered = recovered_marks.find({0, "f"});
  ASSERT_NE(recovered, nullptr);
  ASSERT_FALSE(recovered->ranges.empty());
  EXPECT_LE(recovered->ranges.front().first_block, 2u);
  // A resync covered them: forgotten, durably.
  bool forgot = false;
  tracker_->forget_marks([&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    forgot = true;
  });
  ASSERT_TRUE(scheduler_.run_until([&] { return forgot; }, scheduler_.now_ns() + io::kNsPerS));
  tracker_.reset();
  disk_.crash();
  load_tracker(false);
  EXPECT_TRUE(tracker_->marks().empty());
}

TEST_F(NodeParts, lost_records_load_as_everything_changed) {
  load_tracker(true);
  tracker_.reset();
  bool removed = false;
  disk_.unlink("/state/dirty", [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    removed = true;
  });
  ASSERT_TRUE(scheduler_.run_until([&] { return removed; }, scheduler_.now_ns() + io::kNsPerS));
  load_tracker(false);
  EXPECT_TRUE(tracker_->marks().everything());
}

TEST(FastResyncInput, follows_the_plan_a_cut_sends_its_zeros_and_replaced_entries_go_whole) {
  ResyncPlan plan;
  plan.entries.push_back({.key = {0, "gone"}, .action = PlanAction::remove});
  plan.entries.push_back({.key = {0, "d"}, .action = PlanAction::directory, .replace = true});
  plan.entries.push_back({.key = {0, "d/inner"}, .action = PlanAction::file, .size_bytes = 10, .ranges = {{0, 4}}});
  plan.entries.push_back({.key = {0, "cut"}, .action = PlanAction::file, .cut_bytes = 100, .size_bytes = 300,
                          .ranges = {{0, 50}, {80, 100}, {250, 50}}});
  plan.entries.push_back({.key = {1, "new"}, .action = PlanAction::file, .reconcile_name = true, .size_bytes = 7});
  plan.entries.push_back({.key = {1, "x/y"}, .action = PlanAction::file, .size_bytes = 9000, .ranges = {{4096, 4096}}});
  const auto input = to_fast_resync_input(plan);
  ASSERT_TRUE(input);
  std::vector<std::pair<std::uint32_t, std::string>> listed;
  for (const auto& dir : input->changed_directories) listed.push_back({dir.directory, dir.path});
  EXPECT_EQ(listed, (std::vector<std::pair<std::uint32_t, std::string>>{{0, ""}, {0, "d"}, {1, ""}}));
  ASSERT_EQ(input->files.size(), 4u);
  EXPECT_EQ(input->files[0].path, "d/inner");
  EXPECT_EQ(input->files[0].stale_from, 0u) << "sent whole";
  EXPECT_EQ(input->files[1].path, "cut");
  EXPECT_EQ(input->files[1].ranges, (std::vector<ByteRange>{{0, 50}, {80, 20}}));
  EXPECT_EQ(input->files[1].stale_from, 100u) << "from the cut to the end the file has when it is sent";
  // No range, but its size must still be set on the receiver.
  EXPECT_EQ(input->files[2].path, "new");
  EXPECT_TRUE(input->files[2].ranges.empty());
  EXPECT_EQ(input->files[2].stale_from, kNothingStale);
  EXPECT_EQ(input->files[3].path, "x/y");
  EXPECT_EQ(input->files[3].ranges, (std::vector<ByteRange>{{4096, 4096}}));

  plan.everything = true;
  EXPECT_FALSE(to_fast_resync_input(plan));
}

TEST(FastResyncInput, marks_travel_sealed_and_damage_is_refused) {
  DirtyMap marks;
  marks.mark_bytes({0, "f"}, 4096, 10);
  marks.mark_name({0, "g"}, true);
  io::Bytes sealed = seal_marks(marks);
  std::string why;
  const auto opened = open_marks(sealed, why);
  ASSERT_TRUE(opened) << why;
  EXPECT_EQ(*opened, marks);
  sealed[sealed.size() / 2] ^= 1;
  EXPECT_FALSE(open_marks(sealed, why));
  EXPECT_FALSE(why.empty());
}

}  // namespace
}  // namespace hamirror::core
