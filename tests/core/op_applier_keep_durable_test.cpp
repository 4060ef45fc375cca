// OpApplier::keep_durable: a name no op of this applier changed, synced by the next
// checkpoint all the same (what a crashed daemon left unsynced and a reintegration
// found right), once however often it was kept or changed.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/replication/changed_set.h"
#include "core/replication/op_applier.h"
#include "applier_disk.h"

namespace hamirror::core {
namespace {

using test::write_op;

class CountedFileSyncs final : public fsim::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  void fsync(io::FileHandle file, DoneFn done) override {
    ++count;
    FileSystemWrapper::fsync(file, std::move(done));
  }
  int count = 0;
};

struct Disk : test::ApplierDisk {
  CountedFileSyncs syncs{counted};

  Disk() { fs.install_directory("/data/d"); }

  io::Error checkpoint(OpApplier& applier) {
    std::optional<io::Error> result;
    EXPECT_EQ(applier.checkpoint([&](io::Error e) { result = e; }), io::Error::ok);
    scheduler.run_until([&] { return result.has_value(); }, scheduler.now_ns() + 10 * io::kNsPerS);
    return result.value_or(io::Error::timed_out);
  }
};

TEST(OpApplierKeepDurable, what_an_earlier_applier_left_unsynced_is_durable_after_the_next_checkpoint_synced_once) {
  Disk disk;
  {
    OpApplier crashed_daemon(disk.syncs, {"/data"});
    EXPECT_EQ(disk.apply(crashed_daemon, {{.kind = OpKind::create, .path = "d/f"}, write_op("d/f", 0, "left")}),
              (std::vector<io::Error>{io::Error::ok, io::Error::ok}));
  }
  ASSERT_EQ(disk.fs.durable_contents("/data/d/f"), std::nullopt) << "nothing synced yet";
  OpApplier applier(disk.syncs, {"/data"});
  ASSERT_EQ(applier.keep_durable(0, "d", io::FileKind::directory), io::Error::ok);
  ASSERT_EQ(applier.keep_durable(0, "d/f", io::FileKind::regular), io::Error::ok);
  ASSERT_EQ(applier.keep_durable(0, "d/f", io::FileKind::regular), io::Error::ok);
  EXPECT_EQ(disk.apply(applier, {write_op("d/f", 4, "+")}), std::vector<io::Error>{io::Error::ok});
  EXPECT_EQ(applier.changed_names(), 2u) << "d/f once, kept twice and written";
  EXPECT_EQ(disk.checkpoint(applier), io::Error::ok);
  EXPECT_EQ(disk.syncs.count, 1) << "one fsync of d/f";
  EXPECT_EQ(disk.counted.count, 1) << "one flush of d";
  disk.fs.crash();
  EXPECT_EQ(disk.contents("/data/d/f"), "left+");
}

TEST(OpApplierKeepDurable, the_replicated_directory_itself_may_be_kept_and_a_bad_name_is_refused) {
  Disk disk;
  OpApplier applier(disk.syncs, {"/data"});
  EXPECT_EQ(applier.keep_durable(0, "", io::FileKind::directory), io::Error::ok);
  EXPECT_EQ(applier.keep_durable(0, "", io::FileKind::regular), io::Error::invalid_argument);
  EXPECT_EQ(applier.keep_durable(1, "f", io::FileKind::regular), io::Error::invalid_argument);
  EXPECT_EQ(applier.keep_durable(0, "../f", io::FileKind::regular), io::Error::invalid_argument);
  EXPECT_EQ(disk.checkpoint(applier), io::Error::ok);
  EXPECT_EQ(disk.counted.count, 1);
}

// More names than the set holds: it syncs early rather than grow or forget one.
TEST(OpApplierKeepDurable, more_kept_names_than_the_set_holds_are_synced_early_none_forgotten) {
  Disk disk;
  constexpr int kNames = static_cast<int>(kMaxChangedNames) + 10;
  OpApplier applier(disk.syncs, {"/data"});
  for (int i = 0; i < kNames; ++i) ASSERT_EQ(applier.keep_durable(0, "d/gone" + std::to_string(i), io::FileKind::regular), io::Error::ok);
  disk.scheduler.run_until([&] { return applier.queued() == 0; }, disk.scheduler.now_ns() + 10 * io::kNsPerS);
  EXPECT_EQ(applier.queued(), 0u);
  EXPECT_LE(applier.changed_names(), kMaxChangedNames);
  EXPECT_EQ(disk.checkpoint(applier), io::Error::ok) << "names gone meanwhile are fine";
}

}  // namespace
}  // namespace hamirror::core
