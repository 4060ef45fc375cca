// The reintegration target's pending read-only modes (see "read-only modes last" in
// reintegration_target.h), driven frame by frame so that each live op lands exactly
// between the messages that deferred a mode and the done that gives it: a rename moves
// the pending modes of everything under its name, a removal forgets them.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/reintegration/reintegration_target.h"
#include "io/atomic_file.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::core {
namespace {

constexpr io::FileKind kFile = io::FileKind::regular;
constexpr io::FileKind kDirectory = io::FileKind::directory;

class TargetModes : public ::testing::Test {
 protected:
  TargetModes() : cluster_(1), node_(cluster_.add_node({.name = "n", .hosts = {{"lan", "10.0.0.9"}}})) {
    node_.disk().install_directory("/data");
    node_.disk().install_directory("/state");
  }

  // After the test has prepared the target's disk.
  void begin() {
    auto persist = [fs = &node_.io().fs](const GenerationInfo& info, std::function<void(io::Error)> done) {
      io::write_file_atomically(*fs, "/state/generation", wire::encode_body(info), std::move(done));
    };
    target_ = std::make_unique<ReintegrationTarget>(node_.io().fs, std::vector<std::string>{"/data"}, persist,
                                                    GenerationInfo{}, ReintegrationTarget::Listener{.on_synchronised = [] {}});
    send(ResyncBegin{ResyncMode::full, 1});
  }

  template <typename Message>
  void send(const Message& message) {
    io::Bytes body;
    ASSERT_EQ(target_->on_frame(wire::frame_of(message, body)), "");
  }

  // Every message reads the primary after the live ops sent so far (watermark).
  void listing(const std::string& path, std::vector<ListingEntry> entries) {
    send(ResyncDirListing{.id = ++id_, .path = path, .watermark = sequence_, .entries = std::move(entries)});
  }
  void data(const std::string& path, const io::Bytes& bytes, std::uint32_t mode) {
    std::vector<DataExtent> extents;
    if (!bytes.empty()) extents.push_back({0, bytes.size()});
    send(ResyncBlockData{.id = ++id_, .path = path, .watermark = sequence_, .file_size = bytes.size(), .extents = extents, .data = bytes,
                         .mode = mode});
  }
  void live(FileOp op) { send(ResyncLiveOp{ReplicateOp::from(++sequence_, std::move(op))}); }

  void finish() {
    send(ResyncDone{.generation = 1, .last_live_sequence = sequence_});
    ASSERT_TRUE(cluster_.scheduler().run_until([&] { return target_->synchronised(); }, cluster_.scheduler().now_ns() + 10 * io::kNsPerS));
    EXPECT_EQ(target_->counters().live_ops_failed, 0u) << "each live op applies here as on the primary";
  }

  std::optional<std::uint32_t> mode(const std::string& path) const { return node_.disk().mode_of("/data/" + path); }
  std::optional<io::Bytes> contents(const std::string& path) const { return node_.disk().contents("/data/" + path); }

  sim::SimCluster cluster_;
  sim::SimNode& node_;
  std::unique_ptr<ReintegrationTarget> target_;
  std::uint64_t id_ = 0;
  std::uint64_t sequence_ = 0;
};

TEST_F(TargetModes, a_live_rename_of_a_directory_carries_the_read_only_modes_under_it_to_the_new_names) {
  begin();
  // "d.x" and "d0" sort right before and after everything under "d/": they stay.
  listing("", {{.name = "d", .kind = kDirectory, .mode = 0555}, {.name = "d.x", .kind = kFile}, {.name = "d0", .kind = kDirectory, .mode = 0500}});
  listing("d", {{.name = "f", .kind = kFile}, {.name = "sub", .kind = kDirectory, .mode = 0500}});
  data("d/f", {1, 2, 3}, 0444);
  data("d.x", {4}, 0400);
  listing("d0", {});
  live({.kind = OpKind::rename, .path = "d", .target = "e"});
  finish();
  EXPECT_EQ(mode("d"), std::nullopt);
  EXPECT_EQ(mode("e"), 0555u);
  EXPECT_EQ(mode("e/f"), 0444u);
  EXPECT_EQ(mode("e/sub"), 0500u);
  EXPECT_EQ(contents("e/f"), (io::Bytes{1, 2, 3}));
  EXPECT_EQ(mode("d.x"), 0400u);
  EXPECT_EQ(mode("d0"), 0500u);
}

TEST_F(TargetModes, a_live_rename_over_a_name_with_a_pending_mode_leaves_the_moved_file_its_own) {
  begin();
  listing("", {{.name = "a", .kind = kFile}, {.name = "b", .kind = kFile}});
  data("a", {1}, 0640);
  data("b", {2}, 0444);
  live({.kind = OpKind::rename, .path = "a", .target = "b"});
  finish();
  EXPECT_EQ(mode("a"), std::nullopt);
  EXPECT_EQ(mode("b"), 0640u);
  EXPECT_EQ(contents("b"), io::Bytes{1});
}

TEST_F(TargetModes, a_live_rename_of_a_file_onto_itself_keeps_its_pending_mode) {
  begin();
  listing("", {{.name = "f", .kind = kFile}});
  data("f", {1}, 0444);
  live({.kind = OpKind::rename, .path = "f", .target = "f"});
  finish();
  EXPECT_EQ(mode("f"), 0444u);
}

TEST_F(TargetModes, a_file_unlinked_and_made_again_takes_its_new_mode_not_the_pending_one) {
  begin();
  listing("", {{.name = "f", .kind = kFile}});
  data("f", {1, 2}, 0444);
  live({.kind = OpKind::unlink, .path = "f"});
  live({.kind = OpKind::create, .path = "f", .mode = 0640});
  finish();
  EXPECT_EQ(mode("f"), 0640u);
  EXPECT_EQ(contents("f"), io::Bytes{});
}

TEST_F(TargetModes, a_directory_removed_and_made_again_takes_its_new_mode_not_the_pending_one) {
  begin();
  listing("", {{.name = "d", .kind = kDirectory, .mode = 0555}});
  listing("d", {});
  live({.kind = OpKind::rmdir, .path = "d"});
  live({.kind = OpKind::mkdir, .path = "d", .mode = 0750});
  finish();
  EXPECT_EQ(mode("d"), 0750u);
}

// A listing that finds a directory where the primary now has a file removes the tree,
// and with it the modes pending in it.
TEST_F(TargetModes, a_listing_that_replaces_a_directory_with_a_file_forgets_the_directorys_pending_mode) {
  begin();
  listing("", {{.name = "d", .kind = kDirectory, .mode = 0555}});
  listing("d", {{.name = "f", .kind = kFile}});
  data("d/f", {1}, 0444);
  listing("", {{.name = "d", .kind = kFile}});
  data("d", {9}, 0640);
  finish();
  EXPECT_EQ(mode("d"), 0640u);
  EXPECT_EQ(contents("d"), io::Bytes{9});
}

// The reverse: the listing removes the target's file and makes the directory; the mode
// it defers must outlive that removal.
TEST_F(TargetModes, a_file_where_a_read_only_directory_belongs_ends_as_that_directory_with_its_mode) {
  node_.disk().install_file("/data/d", io::Bytes{7});
  begin();
  listing("", {{.name = "d", .kind = kDirectory, .mode = 0555}});
  listing("d", {});
  finish();
  EXPECT_EQ(contents("d"), std::nullopt) << "a directory now";
  EXPECT_EQ(mode("d"), 0555u);
}

}  // namespace
}  // namespace hamirror::core
