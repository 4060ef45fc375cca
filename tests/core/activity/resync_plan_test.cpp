// The resync plan: dirty marks resolved against the sender's files.
#include "core/activity/resync_plan.h"

#include <gtest/gtest.h>

#include <optional>

#include "fsim/mem_fs.h"
#include "plan_model.h"
#include "sim/scheduler.h"

namespace hamirror::core {
namespace {

using testing::Node;
using testing::Tree;

io::Bytes bytes_of(std::size_t size, std::uint8_t value) { return io::Bytes(size, value); }

const PlanEntry* entry_for(const ResyncPlan& plan, const std::string& path) {
  for (const PlanEntry& entry : plan.entries) {
    if (entry.key.path == path) return &entry;
  }
  return nullptr;
}

TEST(ResyncPlan, clips_ranges_to_the_senders_sizes_and_counts_the_bytes) {
  DirtyMap dirty(4096);
  dirty.mark_blocks({0, "f"}, {0, 2});
  dirty.mark_blocks({0, "f"}, {5, kToEndOfFile});
  dirty.mark_blocks({0, "g"}, {1, 3});
  const Tree sender = {{"f", Node{false, bytes_of(6000, 1)}}, {"g", Node{false, bytes_of(3 * 4096, 2)}}};
  const ResyncPlan plan = build_resync_plan(dirty, testing::view_of(sender));
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_EQ(plan.entries[0].action, PlanAction::file);
  EXPECT_EQ(plan.entries[0].size_bytes, 6000u);
  EXPECT_EQ(plan.entries[0].ranges, (std::vector<SendRange>{{0, 6000}}));
  EXPECT_EQ(plan.entries[1].ranges, (std::vector<SendRange>{{4096, 8192}}));
  EXPECT_EQ(plan.counters.bytes_to_send, 6000u + 8192u);
  EXPECT_EQ(plan.counters.files, 2u);
  EXPECT_EQ(plan.counters.ranges, 2u);
}

TEST(ResyncPlan, a_cut_file_is_truncated_first_and_only_its_written_blocks_are_sent) {
  // The sender truncated f to 0, grew it to 100 KiB and wrote one block in the middle.
  DirtyMap dirty(4096);
  dirty.mark({.kind = OpKind::truncate, .path = "f", .size_bytes = 0}, io::Error::ok);
  dirty.mark({.kind = OpKind::truncate, .path = "f", .size_bytes = 100 * 1024}, io::Error::ok);
  FileOp write{.kind = OpKind::write, .path = "f", .offset = 40960};
  write.data = bytes_of(4096, 7);
  dirty.mark(write, io::Error::ok);
  Tree sender = {{"f", Node{false, bytes_of(100 * 1024, 0)}}};
  std::copy(write.data.begin(), write.data.end(), sender["f"].data.begin() + 40960);
  Tree receiver = {{"f", Node{false, bytes_of(300 * 1024, 9)}}};
  const ResyncPlan plan = build_resync_plan(dirty, testing::view_of(sender));
  ASSERT_EQ(plan.entries.size(), 1u);
  EXPECT_EQ(plan.entries[0].cut_bytes, 0u);
  EXPECT_EQ(plan.counters.bytes_to_send, 4096u) << "the zeros come from the cut, not the wire";
  testing::apply_plan(plan, sender, receiver);
  EXPECT_EQ(testing::first_difference(sender, receiver), "");
}

TEST(ResyncPlan, a_directory_renamed_in_is_sent_as_its_whole_subtree_and_its_old_name_removed) {
  DirtyMap dirty(4096);
  dirty.mark({.kind = OpKind::rename, .path = "old", .target = "new"}, io::Error::ok);
  const Tree sender = {{"new", Node{true, {}}},
                       {"new/a", Node{false, bytes_of(10, 1)}},
                       {"new/b", Node{true, {}}},
                       {"new/b/c", Node{false, bytes_of(5000, 2)}},
                       {"new-sibling", Node{false, bytes_of(3, 3)}}};
  Tree receiver = {{"old", Node{true, {}}},
                   {"old/a", Node{false, bytes_of(10, 1)}},
                   {"old/b", Node{true, {}}},
                   {"old/b/c", Node{false, bytes_of(5000, 2)}},
                   {"new-sibling", Node{false, bytes_of(3, 3)}}};
  const ResyncPlan plan = build_resync_plan(dirty, testing::view_of(sender));
  ASSERT_NE(entry_for(plan, "old"), nullptr);
  EXPECT_EQ(entry_for(plan, "old")->action, PlanAction::remove);
  EXPECT_EQ(entry_for(plan, "new")->action, PlanAction::directory);
  EXPECT_TRUE(entry_for(plan, "new")->replace);
  EXPECT_TRUE(entry_for(plan, "new/b/c")->replace);
  EXPECT_EQ(entry_for(plan, "new-sibling"), nullptr) << "a name that merely shares the prefix is not inside";
  EXPECT_EQ(plan.counters.bytes_to_send, 5010u);
  EXPECT_EQ(plan.counters.whole_files, 2u);
  testing::apply_plan(plan, sender, receiver);
  EXPECT_EQ(testing::first_difference(sender, receiver), "");
}

TEST(ResyncPlan, a_directory_removed_and_made_again_is_replaced_on_the_receiver) {
  DirtyMap dirty(4096);
  dirty.mark({.kind = OpKind::unlink, .path = "d/x"}, io::Error::ok);
  dirty.mark({.kind = OpKind::rmdir, .path = "d"}, io::Error::ok);
  dirty.mark({.kind = OpKind::mkdir, .path = "d"}, io::Error::ok);
  dirty.mark({.kind = OpKind::create, .path = "d/y"}, io::Error::ok);
  const Tree sender = {{"d", Node{true, {}}}, {"d/y", Node{false, {}}}};
  Tree receiver = {{"d", Node{true, {}}}, {"d/x", Node{false, bytes_of(99, 1)}}};
  const ResyncPlan plan = build_resync_plan(dirty, testing::view_of(sender));
  EXPECT_TRUE(entry_for(plan, "d")->replace);
  EXPECT_EQ(entry_for(plan, "d/x")->action, PlanAction::remove);
  EXPECT_EQ(plan.counters.bytes_to_send, 0u);
  testing::apply_plan(plan, sender, receiver);
  EXPECT_EQ(testing::first_difference(sender, receiver), "");
}

TEST(ResyncPlan, everything_dirty_asks_for_a_full_resync) {
  DirtyMap dirty(4096);
  dirty.mark_everything();
  const ResyncPlan plan = build_resync_plan(dirty, {});
  EXPECT_TRUE(plan.everything);
  EXPECT_TRUE(plan.entries.empty());
}

TEST(ResyncPlan, plan_resync_reads_the_senders_disk_and_never_completes_inside_the_call) {
  sim::Trace trace;
  sim::Scheduler scheduler(trace);
  fsim::MemFs disk(scheduler, io::Prng(1));
  disk.install_file("/data/f", bytes_of(10000, 1));
  disk.install_file("/data/dir/inner", bytes_of(20, 2));
  disk.install_file("/data/dir/deeper/file", bytes_of(30, 3));
  DirtyMap dirty(4096);
  dirty.mark_bytes({0, "f"}, 8000, 10);
  dirty.mark_bytes({0, "gone"}, 0, 10);
  dirty.mark_name({0, "dir"}, true);
  for (const bool everything : {false, true}) {
    if (everything) dirty.mark_everything();
    std::optional<io::Result<ResyncPlan>> result;
    plan_resync(disk, {"/data"}, dirty, [&](io::Result<ResyncPlan> plan) { result = std::move(plan); });
    EXPECT_FALSE(result.has_value());
    scheduler.run_until([&] { return result.has_value(); }, scheduler.now_ns() + io::kNsPerS);
    ASSERT_TRUE(result.has_value() && result->ok());
    const ResyncPlan& plan = result->value();
    EXPECT_EQ(plan.everything, everything);
    if (everything) continue;
    EXPECT_EQ(entry_for(plan, "f")->ranges, (std::vector<SendRange>{{4096, 4096}}));
    EXPECT_EQ(entry_for(plan, "gone")->action, PlanAction::remove);
    EXPECT_TRUE(entry_for(plan, "dir/deeper/file")->replace);
    EXPECT_EQ(plan.counters.bytes_to_send, 4096u + 20u + 30u);
  }
  std::optional<io::Result<ResyncPlan>> bad;
  DirtyMap elsewhere(4096);
  elsewhere.mark_bytes({3, "f"}, 0, 1);
  plan_resync(disk, {"/data"}, elsewhere, [&](io::Result<ResyncPlan> plan) { bad = std::move(plan); });
  scheduler.run_until([&] { return bad.has_value(); }, scheduler.now_ns() + io::kNsPerS);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->error(), io::Error::invalid_argument);
}

}  // namespace
}  // namespace hamirror::core
