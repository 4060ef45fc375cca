// The reintegration target applies block data for different files side by side
// (kMaxDataStepsInFlight, through its lanes; see reintegration_target.h), driven frame
// by frame: each file's data stays in stream order, every other step waits for the
// data before it, a lane never writes through a handle a live rename made stale, and
// what the lanes wrote is durable before the copy is marked consistent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/reintegration/reintegration_target.h"
#include "fsim/fs_wrapper.h"
#include "io/atomic_file.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::core {
namespace {

constexpr io::FileKind kFile = io::FileKind::regular;

// Counts the writes and the mode changes issued and not yet completed, and truncates.
class WritesInFlight : public fsim::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  void write(io::FileHandle file, std::uint64_t offset, io::ByteView bytes, WriteFn done) override {
    if (failing_writes_ > 0) {
      --failing_writes_;  // the disk is full: nothing written, the error comes back later
      return inner().write(file, offset, io::ByteView(), [done = std::move(done)](io::Result<std::uint64_t>) { done(io::Error::no_space); });
    }
    most_ = std::max(most_, ++now_);
    inner().write(file, offset, bytes, [this, done = std::move(done)](io::Result<std::uint64_t> written) {
      --now_;
      done(written);
    });
  }
  void set_mode(const std::string& path, std::uint32_t mode, DoneFn done) override {
    most_set_modes_ = std::max(most_set_modes_, ++set_modes_now_);
    inner().set_mode(path, mode, [this, done = std::move(done)](io::Error result) {
      --set_modes_now_;
      done(result);
    });
  }
  void truncate(io::FileHandle file, std::uint64_t size_bytes, DoneFn done) override {
    ++truncates_;
    inner().truncate(file, size_bytes, std::move(done));
  }
  std::size_t most() const { return most_; }
  std::size_t most_set_modes() const { return most_set_modes_; }
  std::size_t truncates() const { return truncates_; }
  void fail_next_writes(std::size_t count) { failing_writes_ = count; }

 private:
  std::size_t failing_writes_ = 0;
  std::size_t now_ = 0;
  std::size_t most_ = 0;
  std::size_t set_modes_now_ = 0;
  std::size_t most_set_modes_ = 0;
  std::size_t truncates_ = 0;
};

class TargetLanes : public ::testing::Test {
 protected:
  TargetLanes() : cluster_(1), node_(cluster_.add_node({.name = "n", .hosts = {{"lan", "10.0.0.9"}}})), fs_(node_.io().fs) {
    node_.disk().install_directory("/data");
    node_.disk().install_directory("/state");
    auto persist = [fs = &fs_](const GenerationInfo& info, std::function<void(io::Error)> done) {
      io::write_file_atomically(*fs, "/state/generation", wire::encode_body(info), std::move(done));
    };
    target_ = std::make_unique<ReintegrationTarget>(fs_, std::vector<std::string>{"/data"}, persist, GenerationInfo{},
                                                    ReintegrationTarget::Listener{.on_synchronised = [] {}});
    send(ResyncBegin{ResyncMode::full, 1});
  }

  template <typename Message>
  void send(const Message& message) {
    io::Bytes body;
    ASSERT_EQ(target_->on_frame(wire::frame_of(message, body)), "");
  }

  void listing(std::vector<ListingEntry> entries) {
    send(ResyncDirListing{.id = ++id_, .watermark = sequence_, .entries = std::move(entries)});
  }
  void data(const std::string& path, std::uint64_t offset, const io::Bytes& bytes, std::uint64_t file_size) {
    std::vector<DataExtent> extents;
    if (!bytes.empty()) extents.push_back({offset, bytes.size()});
    send(ResyncBlockData{.id = ++id_, .path = path, .watermark = sequence_, .file_size = file_size, .extents = extents, .data = bytes,
                         .mode = 0644});
  }
  void live(FileOp op) { send(ResyncLiveOp{ReplicateOp::from(++sequence_, std::move(op))}); }

  void finish() {
    send(ResyncDone{.generation = 1, .last_live_sequence = sequence_});
    ASSERT_TRUE(cluster_.scheduler().run_until([&] { return target_->synchronised(); }, cluster_.scheduler().now_ns() + 10 * io::kNsPerS));
    EXPECT_EQ(target_->counters().live_ops_failed, 0u);
  }

  std::optional<io::Bytes> contents(const std::string& path) const { return node_.disk().contents("/data/" + path); }
  std::optional<io::Bytes> durable(const std::string& path) const { return node_.disk().durable_contents("/data/" + path); }

  sim::SimCluster cluster_;
  sim::SimNode& node_;
  WritesInFlight fs_;
  std::unique_ptr<ReintegrationTarget> target_;
  std::uint64_t id_ = 0;
  std::uint64_t sequence_ = 0;
};

std::string name_of(std::size_t i) { return "f" + std::to_string(i); }

// As in fast mode: the files are there at their size and mode, only their data is
// stale, so nothing but the lanes touches them.
TEST_F(TargetLanes, block_data_for_different_files_is_written_side_by_side_and_durable_before_done_answers) {
  constexpr std::size_t kFiles = 8;
  std::vector<ListingEntry> entries;
  for (std::size_t i = 0; i < kFiles; ++i) {
    node_.disk().install_file("/data/" + name_of(i), io::Bytes(100, 0xee));
    entries.push_back({.name = name_of(i), .kind = kFile});
  }
  listing(entries);
  for (std::size_t i = 0; i < kFiles; ++i) data(name_of(i), 0, io::Bytes(100, static_cast<std::uint8_t>(i)), 100);
  finish();
  EXPECT_GT(fs_.most(), 1u) << "the writes of different files waited for each other";
  EXPECT_GT(target_->counters().data_steps_in_flight_max, 1u);
  EXPECT_EQ(target_->counters().files_already_sized, kFiles);
  for (std::size_t i = 0; i < kFiles; ++i) {
    EXPECT_EQ(contents(name_of(i)), io::Bytes(100, static_cast<std::uint8_t>(i)));
    // consistent=true is persisted: a power cut now must not lose what the lanes wrote.
    EXPECT_EQ(durable(name_of(i)), io::Bytes(100, static_cast<std::uint8_t>(i))) << name_of(i);
  }
}

// As in full mode: a listing created the files (empty) and each is then sent whole. Their
// lanes give them their modes side by side; nothing creates or truncates them again.
TEST_F(TargetLanes, files_a_listing_created_and_that_are_sent_whole_only_get_their_modes_side_by_side) {
  constexpr std::size_t kFiles = 8;
  std::vector<ListingEntry> entries;
  for (std::size_t i = 0; i < kFiles; ++i) entries.push_back({.name = name_of(i), .kind = kFile});
  listing(entries);
  for (std::size_t i = 0; i < kFiles; ++i) data(name_of(i), 0, io::Bytes(100, static_cast<std::uint8_t>(i)), 100);
  finish();
  EXPECT_EQ(fs_.truncates(), 0u) << "the data written whole gives each file its size";
  EXPECT_GT(fs_.most_set_modes(), 1u) << "the files were given their modes one after the other";
  EXPECT_EQ(target_->counters().files_sized, kFiles);
  for (std::size_t i = 0; i < kFiles; ++i) {
    EXPECT_EQ(durable(name_of(i)), io::Bytes(100, static_cast<std::uint8_t>(i))) << name_of(i);
  }
}

// A file sent whole is sized by its write alone (no truncate): when that write fails,
// the next message about the file must not take the size as given.
TEST_F(TargetLanes, a_failed_write_of_a_file_sent_whole_leaves_its_size_to_be_set_again) {
  listing({{.name = "f", .kind = kFile}});
  // After the generation record's writes: the next write is the file's.
  ASSERT_TRUE(cluster_.scheduler().run_until([&] { return target_->counters().entries_created == 1; },
                                             cluster_.scheduler().now_ns() + io::kNsPerS));
  fs_.fail_next_writes(1);
  data("f", 0, io::Bytes(100, 7), 100);
  data("f", 0, io::Bytes(10, 8), 100);  // the source's recheck, say: the first blocks only
  finish();
  io::Bytes expected(100, 0);
  std::fill(expected.begin(), expected.begin() + 10, std::uint8_t{8});
  EXPECT_EQ(durable("f"), expected) << "cut to the size the data was read with";
}

// A file shorter on the source than here: the data does not cover what is here, so
// the file is cut to the source's size.
TEST_F(TargetLanes, a_file_longer_here_is_cut_to_the_size_its_data_was_read_with) {
  node_.disk().install_file("/data/f", io::Bytes(10, 0xee));
  listing({{.name = "f", .kind = kFile}});
  data("f", 0, {1, 2, 3, 4}, 4);
  finish();
  EXPECT_EQ(durable("f"), (io::Bytes{1, 2, 3, 4}));
}

TEST_F(TargetLanes, block_data_for_one_file_never_runs_beside_itself_and_lands_in_stream_order) {
  listing({{.name = "f", .kind = kFile}});
  data("f", 0, {1, 1, 1, 1}, 4);
  data("f", 2, {2, 2}, 4);
  data("f", 1, {3, 3}, 4);
  finish();
  EXPECT_EQ(target_->counters().data_steps_in_flight_max, 1u);
  EXPECT_EQ(contents("f"), (io::Bytes{1, 3, 3, 2}));
}

TEST_F(TargetLanes, a_live_write_waits_for_the_block_data_before_it) {
  listing({{.name = "f", .kind = kFile}, {.name = "g", .kind = kFile}});
  data("f", 0, {1, 1}, 2);
  data("g", 0, {5}, 1);
  live({.kind = OpKind::write, .path = "f", .offset = 0, .data = io::Bytes{3}});
  finish();
  EXPECT_EQ(contents("f"), (io::Bytes{3, 1}));
}

// The lane that wrote "a" cached a handle to it; after the rename that handle is "b".
TEST_F(TargetLanes, block_data_after_a_live_rename_goes_to_the_new_file_of_that_name) {
  listing({{.name = "a", .kind = kFile}});
  data("a", 0, {1, 1}, 2);
  live({.kind = OpKind::rename, .path = "a", .target = "b"});
  data("a", 0, {2}, 1);
  finish();
  EXPECT_EQ(contents("b"), (io::Bytes{1, 1}));
  EXPECT_EQ(contents("a"), io::Bytes{2});
  EXPECT_EQ(durable("a"), io::Bytes{2});
}

}  // namespace
}  // namespace hamirror::core
