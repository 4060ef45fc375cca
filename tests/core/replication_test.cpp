// Synchronous replication between a primary and a secondary in the simulator: the
// real Replicator and Replica over FramedConnections on netsim, real MemFs disks.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/replication/replica.h"
#include "core/replication/replicator.h"
#include "core/wire/framed_connection.h"
#include "sim/cluster/sim_cluster.h"
#include "test_file_ops.h"

namespace hamirror::core {
namespace {

constexpr std::uint16_t kReplicationPort = 5000;

using test::write_op;

std::string text(const std::optional<io::Bytes>& bytes) {
  return bytes ? std::string(bytes->begin(), bytes->end()) : "<missing>";
}

// Every name and every file's bytes, as they are now.
std::vector<std::pair<fsim::TreeEntry, std::string>> snapshot(const fsim::MemFs& disk) {
  std::vector<std::pair<fsim::TreeEntry, std::string>> out;
  for (const auto& entry : disk.tree()) out.emplace_back(entry, text(disk.contents(entry.path)));
  return out;
}

using wire::frame_of;

// Two nodes: "prim" replicates /data to "second". Links are wired the way the node
// will wire them: frames go to the replicator or replica, protocol errors fail the link.
class ReplicationTest : public ::testing::TestWithParam<AsyncMode> {
 protected:
  explicit ReplicationTest(std::uint64_t seed = 1)
      : cluster_(seed),
        prim_(cluster_.add_node({.name = "prim", .hosts = {{"flow", "10.0.0.1"}}})),
        second_(cluster_.add_node({.name = "second", .hosts = {{"flow", "10.0.0.2"}}})) {
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    prim_.disk().install_directory("/data");
    second_.disk().install_directory("/data");
  }

  void SetUp() override {
    replicator_ = std::make_unique<Replicator>(prim_.io().fs, prim_.io().clock, std::vector<std::string>{"/data"},
                                               Replicator::Listener{.on_secondary_failed = [this](std::uint64_t, io::Error e) {
                                                 secondary_failures_.push_back(e);
                                               }});
    replica_ = std::make_unique<Replica>(second_.io().fs, second_.io().clock, std::vector<std::string>{"/data"}, GetParam(),
                                         Replica::Listener{.on_apply_failed = [this](std::uint64_t, io::Error e) { replica_failures_.push_back(e); },
                                                           .on_failure_awaiting_primary = [this](std::uint64_t, io::Error e) {
                                                             replica_awaiting_.push_back(e);
                                                           },
                                                           .on_failures_confirmed = [this] { ++replica_confirmations_; }});
    connect();
  }

  void connect() {
    auto listener = second_.io().network.listen({"10.0.0.2", kReplicationPort}, [this](std::unique_ptr<io::StreamConnection> stream) {
      second_link_ = std::make_unique<wire::FramedConnection>(std::move(stream), handlers_for(second_link_, [this](const wire::Frame& f) {
        return replica_->on_frame(f);
      }, [this] { replica_->on_writable(); }, [this] { replica_->detach(); }));
      replica_->attach(*second_link_);
    });
    ASSERT_TRUE(listener.ok());
    listener_ = std::move(listener).value();
    prim_.io().network.connect({"10.0.0.2", kReplicationPort}, [this](io::Result<std::unique_ptr<io::StreamConnection>> stream) {
      ASSERT_TRUE(stream.ok());
      prim_link_ = std::make_unique<wire::FramedConnection>(std::move(stream).value(), handlers_for(prim_link_, [this](const wire::Frame& f) {
        return replicator_->on_frame(f);
      }, [this] { replicator_->on_writable(); }, [this] { replicator_->detach(); }));
      replicator_->attach(*prim_link_);
    });
    ASSERT_TRUE(run_until([&] { return prim_link_ && second_link_; }));
  }

  wire::FramedConnection::Handlers handlers_for(std::unique_ptr<wire::FramedConnection>& link,
                                               std::function<std::string(const wire::Frame&)> on_frame,
                                               std::function<void()> on_writable, std::function<void()> on_gone) {
    return {.on_frame =
                [&link, on_frame](const wire::Frame& frame) {
                  if (const std::string reason = on_frame(frame); !reason.empty()) link->fail(reason);
                },
            .on_error = [this, on_gone](const std::string& reason) {
              link_errors_.push_back(reason);
              on_gone();
            },
            .on_close = [on_gone](io::Error) { on_gone(); },
            .on_writable = on_writable};
  }

  bool run_until(const std::function<bool()>& done, std::int64_t bound_s = 10) {
    return cluster_.scheduler().run_until(done, cluster_.scheduler().now_ns() + bound_s * io::kNsPerS);
  }

  // Submits and records the result under `name`.
  void submit(const std::string& name, FileOp op) {
    ASSERT_EQ(replicator_->submit(std::move(op), [this, name](io::Error e) { results_.emplace_back(name, e); }), io::Error::ok);
  }

  // Requests a checkpoint and runs until it is done: {through, result}.
  std::pair<std::uint64_t, io::Error> checkpoint() {
    std::optional<std::pair<std::uint64_t, io::Error>> done;
    EXPECT_EQ(replicator_->request_checkpoint([&](std::uint64_t through, io::Error e) { done.emplace(through, e); }), io::Error::ok);
    EXPECT_FALSE(done.has_value()) << "done never runs inside request_checkpoint()";
    EXPECT_TRUE(run_until([&] { return done.has_value(); }, 60));
    return done.value_or(std::pair<std::uint64_t, io::Error>{0, io::Error::unknown});
  }

  sim::SimCluster cluster_;
  sim::SimNode& prim_;
  sim::SimNode& second_;
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<Replica> replica_;
  std::unique_ptr<io::StreamListener> listener_;
  std::unique_ptr<wire::FramedConnection> prim_link_;
  std::unique_ptr<wire::FramedConnection> second_link_;
  std::vector<std::pair<std::string, io::Error>> results_;
  std::vector<io::Error> secondary_failures_;
  std::vector<io::Error> replica_failures_;
  std::vector<io::Error> replica_awaiting_;
  int replica_confirmations_ = 0;
  std::vector<std::string> link_errors_;
};

TEST_P(ReplicationTest, acknowledges_a_write_only_once_the_secondary_has_it) {
  std::vector<std::string> secondary_at_ack;
  ASSERT_EQ(replicator_->submit({.kind = OpKind::create, .path = "f"}, [](io::Error e) { EXPECT_EQ(e, io::Error::ok); }), io::Error::ok);
  ASSERT_EQ(replicator_->submit(write_op("f", 0, "acknowledged"), [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    secondary_at_ack.push_back(text(second_.disk().contents("/data/f")));
  }), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return !secondary_at_ack.empty(); }));
  if (GetParam() == AsyncMode::none) {
    EXPECT_EQ(secondary_at_ack.front(), "acknowledged") << "async none: applied on the secondary before the ack";
  }
  ASSERT_TRUE(run_until([&] { return replica_->applied_through() == 2; }));
  EXPECT_EQ(text(second_.disk().contents("/data/f")), "acknowledged");
}

TEST_P(ReplicationTest, fsync_completes_only_when_the_data_is_durable_on_both_copies) {
  submit("create", {.kind = OpKind::create, .path = "db"});
  submit("write", write_op("db", 0, "committed"));
  bool synced = false;
  ASSERT_EQ(replicator_->submit({.kind = OpKind::fsync, .path = "db"}, [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    synced = true;
    EXPECT_EQ(text(prim_.disk().durable_contents("/data/db")), "committed");
    EXPECT_EQ(text(second_.disk().durable_contents("/data/db")), "committed");
  }), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return synced; }));
  // Power cut on both: the fsynced file, and its directory entry, survive on both.
  prim_.disk().crash();
  second_.disk().crash();
  EXPECT_EQ(text(prim_.disk().contents("/data/db")), "committed");
  EXPECT_EQ(text(second_.disk().contents("/data/db")), "committed");
}

TEST_P(ReplicationTest, many_ops_leave_byte_identical_copies) {
  io::Prng prng(99);
  submit("mkdir", {.kind = OpKind::mkdir, .path = "dir"});
  for (int file = 0; file < 5; ++file) submit("create", {.kind = OpKind::create, .path = "dir/f" + std::to_string(file)});
  for (int i = 0; i < 300; ++i) {
    const std::string path = "dir/f" + std::to_string(prng.below(5));
    switch (prng.below(10)) {
      case 0: submit("truncate", {.kind = OpKind::truncate, .path = path, .size_bytes = prng.below(5000)}); break;
      case 1: submit("fsync", {.kind = OpKind::fsync, .path = path}); break;
      default: submit("write", write_op(path, prng.below(8000), std::string(1 + prng.below(3000), static_cast<char>('a' + i % 26))));
    }
  }
  submit("rename", {.kind = OpKind::rename, .path = "dir/f0", .target = "dir/renamed"});
  submit("unlink", {.kind = OpKind::unlink, .path = "dir/f1"});
  ASSERT_TRUE(run_until([&] { return results_.size() == 308; }, 60));
  for (const auto& [name, result] : results_) ASSERT_EQ(result, io::Error::ok) << name;
  ASSERT_TRUE(run_until([&] { return replica_->applied_through() == replicator_->next_sequence() - 1; }));
  EXPECT_EQ(prim_.disk().tree(), second_.disk().tree());
  for (const auto& entry : prim_.disk().tree()) {
    EXPECT_EQ(prim_.disk().contents(entry.path), second_.disk().contents(entry.path)) << entry.path;
  }
  EXPECT_TRUE(link_errors_.empty());
}

TEST_P(ReplicationTest, a_lost_link_holds_completions_until_the_node_decides) {
  submit("create", {.kind = OpKind::create, .path = "f"});
  ASSERT_TRUE(run_until([&] { return results_.size() == 1; }));
  cluster_.world().partition("prim", "second");
  submit("held", write_op("f", 0, "x"));
  ASSERT_TRUE(run_until([&] { return !replicator_->attached(); }, 30)) << "the stream breaks after the partition outlasts its timeout";
  cluster_.scheduler().run_for(5 * io::kNsPerS);
  EXPECT_EQ(results_.size(), 1u) << "no ack from the secondary: the write must not complete";
  replicator_->set_policy(AckPolicy::local_only);  // e.g. the secondary confirmed it is outdated
  ASSERT_TRUE(run_until([&] { return results_.size() == 2; }));
  EXPECT_EQ(results_.back(), (std::pair<std::string, io::Error>{"held", io::Error::ok}));
  submit("alone", write_op("f", 1, "y"));
  ASSERT_TRUE(run_until([&] { return results_.size() == 3; }));
  EXPECT_EQ(text(prim_.disk().contents("/data/f")), "xy");
  EXPECT_EQ(text(second_.disk().contents("/data/f")), "");
}

TEST_P(ReplicationTest, a_fenced_primary_refuses_writes_and_fails_the_unacknowledged_ones) {
  cluster_.world().partition("prim", "second");
  submit("pending", {.kind = OpKind::create, .path = "f"});
  cluster_.scheduler().run_for(io::kNsPerS);
  replicator_->set_policy(AckPolicy::refuse);
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_.front().second, io::Error::read_only);
  EXPECT_EQ(replicator_->submit(write_op("f", 0, "x"), [](io::Error) { ADD_FAILURE() << "must not run"; }), io::Error::read_only);
}

TEST_P(ReplicationTest, an_op_the_secondary_fails_fails_the_writer_and_is_reported) {
  second_.disk().install_directory("/data/clash");  // the secondary differs already
  submit("create", {.kind = OpKind::create, .path = "clash"});
  ASSERT_TRUE(run_until([&] { return results_.size() == 1; }));
  if (GetParam() == AsyncMode::none) {
    EXPECT_NE(results_.front().second, io::Error::ok);
    EXPECT_EQ(secondary_failures_.size(), 1u);
  } else {
    // Acknowledged on receipt: the writer heard ok. The secondary reports its failure,
    // counts as diverged meanwhile, and the primary, which applied the op, finds the
    // copies differ.
    ASSERT_TRUE(run_until([&] { return !secondary_failures_.empty(); }));
    EXPECT_EQ(results_.front().second, io::Error::ok);
    EXPECT_EQ(replica_awaiting_.size(), 1u);
    EXPECT_EQ(replica_confirmations_, 0) << "the primary never echoes a failure its copy did not share";
  }
}

// A writer's unlink of a file that is not there fails on both copies alike: the writer
// hears not_found and the copies are still mirrors. With async="second" the secondary
// had acknowledged the op on receipt; the primary confirms it failed it alike (seed
// 192434: a SECOND treated such an op as a divergence and needed a full reintegration).
TEST_P(ReplicationTest, an_op_both_copies_fail_alike_fails_the_writer_and_leaves_them_mirrors) {
  submit("unlink", {.kind = OpKind::unlink, .path = "missing"});
  submit("rmdir", {.kind = OpKind::rmdir, .path = "missing_dir"});
  submit("create", {.kind = OpKind::create, .path = "after"});
  ASSERT_TRUE(run_until([&] { return results_.size() == 3; }));
  EXPECT_EQ(results_[0], (std::pair<std::string, io::Error>{"unlink", io::Error::not_found}));
  EXPECT_EQ(results_[1], (std::pair<std::string, io::Error>{"rmdir", io::Error::not_found}));
  EXPECT_EQ(results_[2], (std::pair<std::string, io::Error>{"create", io::Error::ok}));
  if (GetParam() == AsyncMode::second) {
    ASSERT_TRUE(run_until([&] { return replica_confirmations_ > 0; }));
    EXPECT_EQ(replica_awaiting_, (std::vector<io::Error>{io::Error::not_found, io::Error::not_found}));
  }
  ASSERT_TRUE(run_until([&] { return replica_->applied_through() == 3; }));
  cluster_.scheduler().run_for(io::kNsPerS);
  EXPECT_TRUE(secondary_failures_.empty());
  EXPECT_TRUE(replica_failures_.empty());
  EXPECT_TRUE(link_errors_.empty());
  if (GetParam() == AsyncMode::none) {
    EXPECT_EQ(replica_confirmations_, 0) << "applied before its ack: nothing to ask";
  }
  EXPECT_TRUE(second_.disk().contents("/data/after").has_value());
}

TEST_P(ReplicationTest, writers_are_held_back_when_too_much_is_in_flight) {
  cluster_.world().partition("prim", "second");
  std::size_t accepted = 0;
  io::Error refused = io::Error::ok;
  submit("create", {.kind = OpKind::create, .path = "f"});
  while (refused == io::Error::ok && accepted < 10 * kMaxInFlightOps) {
    refused = replicator_->submit(write_op("f", accepted, "z"), [](io::Error) {});
    if (refused == io::Error::ok) ++accepted;
  }
  EXPECT_EQ(refused, io::Error::would_block);
  EXPECT_EQ(replicator_->in_flight(), kMaxInFlightOps);
}

TEST_P(ReplicationTest, a_checkpoint_makes_every_op_before_it_durable_on_both_copies) {
  submit("mkdir", {.kind = OpKind::mkdir, .path = "dir"});
  for (const char* name : {"dir/a", "dir/b", "top", "doomed"}) submit("create", {.kind = OpKind::create, .path = name});
  submit("write a", write_op("dir/a", 0, "file a, written before its rename"));
  submit("write b", write_op("dir/b", 0, "file b"));
  submit("write top", write_op("top", 0, "at the top, then truncated"));
  submit("write b again", write_op("dir/b", 6, " and more"));
  submit("truncate", {.kind = OpKind::truncate, .path = "top", .size_bytes = 10});
  submit("rename file", {.kind = OpKind::rename, .path = "dir/a", .target = "moved"});
  submit("unlink", {.kind = OpKind::unlink, .path = "doomed"});
  submit("rename dir", {.kind = OpKind::rename, .path = "dir", .target = "dir2"});
  // Asked for at once: the ops may still be applying on either copy.
  const auto [through, result] = checkpoint();
  EXPECT_EQ(result, io::Error::ok);
  EXPECT_EQ(through, replicator_->next_sequence() - 1);
  EXPECT_EQ(through, 13u);
  ASSERT_EQ(results_.size(), through);
  for (const auto& [name, op_result] : results_) EXPECT_EQ(op_result, io::Error::ok) << name;
  const auto expected = snapshot(prim_.disk());
  EXPECT_EQ(snapshot(second_.disk()), expected);
  // A power cut on both: every op up to `through` survives on both copies.
  prim_.disk().crash();
  second_.disk().crash();
  EXPECT_EQ(snapshot(prim_.disk()), expected);
  EXPECT_EQ(snapshot(second_.disk()), expected);
  EXPECT_EQ(text(second_.disk().contents("/data/moved")), "file a, written before its rename");
  EXPECT_EQ(text(second_.disk().contents("/data/dir2/b")), "file b and more");
  EXPECT_EQ(text(second_.disk().contents("/data/top")), "at the top");
  EXPECT_EQ(text(second_.disk().contents("/data/doomed")), "<missing>");
  EXPECT_TRUE(link_errors_.empty());
}

TEST_P(ReplicationTest, a_checkpoint_without_a_secondary_fails_rather_than_claiming_durability) {
  submit("create", {.kind = OpKind::create, .path = "f"});
  ASSERT_TRUE(run_until([&] { return results_.size() == 1; }));
  cluster_.world().partition("prim", "second");
  submit("held", write_op("f", 0, "only here"));
  // Sent while the link still looks fine; it breaks before the ack comes.
  std::optional<std::pair<std::uint64_t, io::Error>> lost;
  ASSERT_EQ(replicator_->request_checkpoint([&](std::uint64_t through, io::Error e) { lost.emplace(through, e); }), io::Error::ok);
  ASSERT_TRUE(run_until([&] { return lost.has_value(); }, 60));
  EXPECT_FALSE(replicator_->attached());
  EXPECT_EQ(*lost, (std::pair<std::uint64_t, io::Error>{2, io::Error::cancelled}));
  // Asked for with no secondary attached: still not claimed.
  EXPECT_EQ(checkpoint(), (std::pair<std::uint64_t, io::Error>{2, io::Error::cancelled}));
  EXPECT_EQ(replicator_->pending_checkpoints(), 0u);
}

TEST_P(ReplicationTest, a_checkpoint_alone_is_durable_on_this_copy) {
  cluster_.world().partition("prim", "second");
  ASSERT_TRUE(run_until([&] { return !replicator_->attached(); }, 60));
  replicator_->set_policy(AckPolicy::local_only);
  submit("create", {.kind = OpKind::create, .path = "f"});
  submit("write", write_op("f", 0, "alone"));
  submit("mkdir", {.kind = OpKind::mkdir, .path = "d"});
  submit("rename", {.kind = OpKind::rename, .path = "f", .target = "d/g"});
  EXPECT_EQ(checkpoint(), (std::pair<std::uint64_t, io::Error>{4, io::Error::ok}));
  const auto expected = snapshot(prim_.disk());
  prim_.disk().crash();
  EXPECT_EQ(snapshot(prim_.disk()), expected);
  EXPECT_EQ(text(prim_.disk().contents("/data/d/g")), "alone");
  EXPECT_EQ(text(second_.disk().contents("/data/d/g")), "<missing>");
}

TEST_P(ReplicationTest, pending_checkpoints_are_bounded_and_a_fence_fails_them) {
  cluster_.world().partition("prim", "second");  // no ack comes back
  std::vector<std::pair<std::uint64_t, io::Error>> done;
  for (std::size_t i = 0; i < kMaxPendingCheckpoints; ++i) {
    submit("write", write_op("f" + std::to_string(i), 0, "x"));
    ASSERT_EQ(replicator_->request_checkpoint([&](std::uint64_t through, io::Error e) { done.emplace_back(through, e); }), io::Error::ok);
  }
  EXPECT_EQ(replicator_->request_checkpoint([](std::uint64_t, io::Error) { ADD_FAILURE() << "must not run"; }), io::Error::would_block);
  cluster_.scheduler().run_for(io::kNsPerS);
  EXPECT_TRUE(done.empty()) << "no ack: not durable on both";
  replicator_->set_policy(AckPolicy::refuse);
  EXPECT_EQ(done, (std::vector<std::pair<std::uint64_t, io::Error>>{
                      {1, io::Error::read_only}, {2, io::Error::read_only}, {3, io::Error::read_only}, {4, io::Error::read_only}}));
  EXPECT_EQ(replicator_->request_checkpoint([](std::uint64_t, io::Error) { ADD_FAILURE() << "must not run"; }), io::Error::read_only);
}

TEST_P(ReplicationTest, a_checkpoint_ack_never_asked_for_or_out_of_order_breaks_the_protocol) {
  cluster_.world().partition("prim", "second");  // only the acks injected below arrive
  io::Bytes storage;
  EXPECT_EQ(replicator_->on_frame(frame_of(CheckpointAck{0, io::Error::ok}, storage)),
            "checkpoint_ack through 0, which was never sent");
  std::vector<std::pair<std::uint64_t, io::Error>> done;
  auto record = [&](std::uint64_t through, io::Error e) { done.emplace_back(through, e); };
  ASSERT_EQ(replicator_->request_checkpoint(record), io::Error::ok);
  submit("create", {.kind = OpKind::create, .path = "f"});
  ASSERT_EQ(replicator_->request_checkpoint(record), io::Error::ok);
  EXPECT_EQ(replicator_->on_frame(frame_of(CheckpointAck{1, io::Error::ok}, storage)),
            "checkpoint_ack through 1 out of order: expected 0");
  EXPECT_EQ(replicator_->on_frame(frame_of(CheckpointAck{0, io::Error::ok}, storage)), "");
  EXPECT_EQ(replicator_->on_frame(frame_of(CheckpointAck{1, io::Error::io_error}, storage)), "");
  cluster_.scheduler().run_for(io::kNsPerS);  // the local halves
  EXPECT_EQ(done, (std::vector<std::pair<std::uint64_t, io::Error>>{{0, io::Error::ok}, {1, io::Error::io_error}}));
  EXPECT_EQ(replicator_->on_frame(frame_of(CheckpointAck{1, io::Error::ok}, storage)),
            "checkpoint_ack through 1, which was never sent");
}

INSTANTIATE_TEST_SUITE_P(AsyncModes, ReplicationTest, ::testing::Values(AsyncMode::none, AsyncMode::second),
                         [](const auto& info) { return info.param == AsyncMode::none ? "async_none" : "async_second"; });

TEST(ReplicaProtocol, an_op_out_of_order_breaks_the_protocol) {
  sim::SimCluster cluster(1);
  auto& node = cluster.add_node({.name = "n", .hosts = {{"lan", "10.0.0.9"}}});
  node.disk().install_directory("/data");
  Replica replica(node.io().fs, node.io().clock, {"/data"}, AsyncMode::none, {.on_apply_failed = [](std::uint64_t, io::Error) {}});
  io::Bytes storage;
  EXPECT_EQ(replica.on_frame(frame_of(ReplicateOp::from(1, {.kind = OpKind::mkdir, .path = "d"}), storage)),
            "replicate_op before replication_start");
  EXPECT_EQ(replica.on_frame(frame_of(ReplicationStart{10}, storage)), "");
  EXPECT_EQ(replica.on_frame(frame_of(ReplicateOp::from(11, {.kind = OpKind::mkdir, .path = "d"}), storage)),
            "op 11 out of order: expected 10");
}

TEST(ReplicationMessages, checkpoint_messages_round_trip_and_refuse_an_unknown_result) {
  io::Bytes storage;
  const auto checkpoint = wire::decode_message<Checkpoint>(frame_of(Checkpoint{41}, storage));
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.error();
  EXPECT_EQ(checkpoint.value(), Checkpoint{41});
  for (const io::Error result : {io::Error::ok, io::Error::io_error, io::Error::unknown}) {
    const auto ack = wire::decode_message<CheckpointAck>(frame_of(CheckpointAck{41, result}, storage));
    ASSERT_TRUE(ack.ok()) << ack.error();
    EXPECT_EQ(ack.value(), (CheckpointAck{41, result}));
    const auto op_ack = wire::decode_message<OpAck>(frame_of(OpAck{41, result}, storage));
    ASSERT_TRUE(op_ack.ok()) << op_ack.error();
  }
  const auto bad = wire::decode_message<CheckpointAck>(frame_of(CheckpointAck{41, static_cast<io::Error>(200)}, storage));
  EXPECT_EQ(bad.error(), "checkpoint_ack: unknown result 200");
}

TEST(ReplicaProtocol, a_checkpoint_must_follow_the_last_op_it_covers) {
  sim::SimCluster cluster(1);
  auto& node = cluster.add_node({.name = "n", .hosts = {{"lan", "10.0.0.9"}}});
  node.disk().install_directory("/data");
  Replica replica(node.io().fs, node.io().clock, {"/data"}, AsyncMode::second, {.on_apply_failed = [](std::uint64_t, io::Error) {}});
  io::Bytes storage;
  EXPECT_EQ(replica.on_frame(frame_of(Checkpoint{0}, storage)), "checkpoint before replication_start");
  EXPECT_EQ(replica.on_frame(frame_of(ReplicationStart{10}, storage)), "");
  EXPECT_EQ(replica.on_frame(frame_of(Checkpoint{9}, storage)), "");
  EXPECT_EQ(replica.on_frame(frame_of(Checkpoint{10}, storage)), "checkpoint through 10 out of order: the last op was 9");
  EXPECT_EQ(replica.on_frame(frame_of(ReplicateOp::from(10, {.kind = OpKind::mkdir, .path = "d"}), storage)), "");
  EXPECT_EQ(replica.on_frame(frame_of(Checkpoint{10}, storage)), "");
  EXPECT_EQ(replica.on_frame(frame_of(Checkpoint{UINT64_MAX}, storage)),
            "checkpoint: checkpoint through the last possible sequence number");
}

}  // namespace
}  // namespace hamirror::core
