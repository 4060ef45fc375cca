// Reintegration in the simulator: the real ReintegrationSource and ReintegrationTarget
// over FramedConnections on netsim, real MemFs disks, the real Replicator applying the
// primary's live writes and taking over at the switch, the real Replica after it.
#include <gtest/gtest.h>

#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/activity/resync_plan.h"
#include "core/node/fast_resync.h"
#include "core/reintegration/reintegration_source.h"
#include "core/reintegration/reintegration_target.h"
#include "core/replication/replica.h"
#include "core/replication/replicator.h"
#include "core/wire/framed_connection.h"
#include "fsim/fs_wrapper.h"
#include "io/atomic_file.h"
#include "sim/cluster/sim_cluster.h"

namespace hamirror::core {
namespace {

constexpr std::uint16_t kPort = 5000;
constexpr std::uint64_t kPrimaryGeneration = 0xabcdef;
constexpr std::uint64_t kPrimaryAncestor = 0xabc;
const std::string kGenerationPath = "/state/generation";

io::Bytes random_bytes(io::Prng& prng, std::size_t size) {
  io::Bytes out(size);
  for (auto& byte : out) byte = static_cast<std::uint8_t>(prng.below(256));
  return out;
}

FileOp write_op(const std::string& path, std::uint64_t offset, io::Bytes data) {
  return FileOp{.kind = OpKind::write, .path = path, .offset = offset, .data = std::move(data)};
}

std::optional<GenerationInfo> durable_generation(fsim::MemFs& disk) {
  const auto bytes = disk.durable_contents(kGenerationPath);
  if (!bytes) return std::nullopt;
  auto decoded = wire::decode_body<GenerationInfo>(*bytes);
  if (!decoded) return std::nullopt;
  return decoded.value();
}

// The source's disk: counts its opens and its read_ranges() calls, which it hands on
// whole (as a backend with a one-step version does), so the opens inside are not its.
class SourceReads final : public fsim::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  void open(const std::string& path, io::OpenFlags flags, OpenFn done) override {
    ++opens;
    inner().open(path, flags, std::move(done));
  }
  void read_ranges(const std::string& path, std::vector<io::FileRange> ranges, ReadRangesFn done) override {
    ++read_ranges_calls;
    reads.push_back(path);
    inner().read_ranges(path, std::move(ranges), std::move(done));
  }
  void will_read(std::vector<io::ReadAhead> files) override {
    hints.push_back({.reads_before = reads.size(), .files = files});
    inner().will_read(std::move(files));
  }
  struct Hint {
    std::size_t reads_before = 0;  // read_ranges() calls made before it
    std::vector<io::ReadAhead> files;
  };
  std::size_t opens = 0;
  std::size_t read_ranges_calls = 0;
  std::vector<std::string> reads;  // read_ranges()'s paths, in call order
  std::vector<Hint> hints;
};

// Two nodes: "prim" reintegrates "second", whose /data may be empty, stale or close.
class Reintegration : public ::testing::Test {
 protected:
  explicit Reintegration(std::uint64_t seed = 1, bool second_not_root = false) : seed_(seed), cluster_(seed) {
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    prim_ = &cluster_.add_node({.name = "prim", .hosts = {{"flow", "10.0.0.1"}}});
    second_ = &cluster_.add_node({.name = "second", .hosts = {{"flow", "10.0.0.2"}}, .daemon_not_root = second_not_root});
    prim_->disk().install_directory("/data");
    second_->disk().install_directory("/data");
    second_->disk().install_directory("/state");
  }

  // Builds the protocol objects once the disks are prepared. second_generation: what
  // the returning node's record says (current 0: wiped or new).
  void build(GenerationInfo second_generation) {
    replicator_ = std::make_unique<Replicator>(prim_->io().fs, prim_->io().clock, std::vector<std::string>{"/data"},
                                               Replicator::Listener{.on_secondary_failed = [](std::uint64_t, io::Error) {}});
    replicator_->set_policy(AckPolicy::local_only);  // the target is not a copy until the switch
    replica_ = std::make_unique<Replica>(second_->io().fs, second_->io().clock, std::vector<std::string>{"/data"}, AsyncMode::none,
                                         Replica::Listener{.on_apply_failed = [this](std::uint64_t, io::Error) { ++replica_failures_; }});
    source_fs_ = std::make_unique<SourceReads>(prim_->io().fs);
    source_ = std::make_unique<ReintegrationSource>(
        *source_fs_, prim_->io().clock, std::vector<std::string>{"/data"},
        GenerationInfo{.current = kPrimaryGeneration, .history = {kPrimaryAncestor}},
        [this](FileOp op, ReintegrationSource::DoneFn done) { return replicator_->submit(std::move(op), std::move(done)); },
        ReintegrationSource::Listener{.on_synchronised = [this] { on_source_synchronised(); },
                                      .on_failed = [this](std::string reason) { failures_.push_back(reason); }},
        parallel_reads_);
    auto persist = [fs = &second_->io().fs](const GenerationInfo& info, std::function<void(io::Error)> done) {
      io::write_file_atomically(*fs, kGenerationPath, wire::encode_body(info), std::move(done));
    };
    target_ = std::make_unique<ReintegrationTarget>(second_->io().fs, std::vector<std::string>{"/data"}, persist,
                                                    second_generation,
                                                    ReintegrationTarget::Listener{.on_synchronised = [this] {
                                                      replica_->attach(*second_link_);
                                                    }});
    connect();
  }

  // The node's part of the switch: the Replicator takes the link and the held ops.
  void on_source_synchronised() {
    replicator_->set_policy(AckPolicy::wait_for_secondary);
    replicator_->attach(*prim_link_);
    std::deque<Held> held = std::move(held_);
    held_.clear();
    for (Held& op : held) ASSERT_EQ(replicator_->submit(std::move(op.op), std::move(op.done)), io::Error::ok);
  }

  void connect() {
    auto listener = second_->io().network.listen({"10.0.0.2", kPort}, [this](std::unique_ptr<io::StreamConnection> stream) {
      second_link_ = std::make_unique<wire::FramedConnection>(
          std::move(stream), handlers(second_link_,
                                      [this](const wire::Frame& f) {
                                        return target_->synchronised() ? replica_->on_frame(f) : target_->on_frame(f);
                                      },
                                      [this] {
                                        target_->on_writable();
                                        replica_->on_writable();
                                      },
                                      [this] {
                                        target_->detach();
                                        replica_->detach();
                                      }));
      target_->attach(*second_link_);
    });
    ASSERT_TRUE(listener.ok());
    listener_ = std::move(listener).value();
    prim_->io().network.connect({"10.0.0.2", kPort}, [this](io::Result<std::unique_ptr<io::StreamConnection>> stream) {
      ASSERT_TRUE(stream.ok());
      prim_link_ = std::make_unique<wire::FramedConnection>(
          std::move(stream).value(), handlers(prim_link_,
                                              [this](const wire::Frame& f) {
                                                return source_->progress().synchronised ? replicator_->on_frame(f) : source_->on_frame(f);
                                              },
                                              [this] {
                                                source_->on_writable();
                                                replicator_->on_writable();
                                              },
                                              [this] {
                                                source_->detach();
                                                replicator_->detach();
                                              }));
    });
    ASSERT_TRUE(run_until([&] { return prim_link_ && second_link_; }));
  }

  wire::FramedConnection::Handlers handlers(std::unique_ptr<wire::FramedConnection>& link,
                                            std::function<std::string(const wire::Frame&)> on_frame,
                                            std::function<void()> on_writable, std::function<void()> on_gone) {
    return {.on_frame =
                [this, &link, on_frame](const wire::Frame& frame) {
                  if (const std::string reason = on_frame(frame); !reason.empty()) {
                    link_errors_.push_back(reason);
                    link->fail(reason);
                  }
                },
            .on_error = [this, on_gone](const std::string& reason) {
              link_errors_.push_back(reason);
              on_gone();
            },
            .on_close = [on_gone](io::Error) { on_gone(); },
            .on_writable = on_writable};
  }

  bool run_until(const std::function<bool()>& done, std::int64_t bound_s = 60) {
    return cluster_.scheduler().run_until(done, cluster_.scheduler().now_ns() + bound_s * io::kNsPerS);
  }

  bool synchronised() { return source_->progress().synchronised && target_->synchronised(); }

  // A writer's op on the primary: through the source while reintegration runs, held
  // during the switch, through the Replicator after it.
  void live(FileOp op, std::function<void(io::Error)> done) {
    if (source_->progress().synchronised) {
      ASSERT_EQ(replicator_->submit(std::move(op), std::move(done)), io::Error::ok);
      return;
    }
    FileOp copy = op;
    const io::Error submitted = source_->submit_live(std::move(copy), ReintegrationSource::DoneFn(done));
    if (submitted == io::Error::would_block) {
      held_.push_back({std::move(op), std::move(done)});
      return;
    }
    ASSERT_EQ(submitted, io::Error::ok) << describe(op);
  }

  std::vector<fsim::TreeEntry> data_tree(fsim::MemFs& disk) {
    std::vector<fsim::TreeEntry> out;
    for (const auto& entry : disk.tree()) {
      if (entry.path.starts_with("/data")) out.push_back(entry);
    }
    return out;
  }

  void expect_identical_copies() {
    const auto prim_tree = data_tree(prim_->disk());
    EXPECT_EQ(prim_tree, data_tree(second_->disk())) << "seed " << seed_;
    for (const auto& entry : prim_tree) {
      EXPECT_EQ(prim_->disk().contents(entry.path), second_->disk().contents(entry.path)) << entry.path << " seed " << seed_;
      EXPECT_EQ(mode_of(prim_->disk(), entry.path), mode_of(second_->disk(), entry.path)) << entry.path << " seed " << seed_;
    }
  }

  // Permission bits of a path on a disk (0 when missing).
  std::uint32_t mode_of(fsim::MemFs& disk, const std::string& path) {
    std::optional<io::Result<io::FileStat>> stat;
    disk.stat(path, [&](io::Result<io::FileStat> st) { stat = st; });
    EXPECT_TRUE(run_until([&] { return stat.has_value(); }));
    return stat && *stat ? (*stat)->mode : 0;
  }
  void set_mode(fsim::MemFs& disk, const std::string& path, std::uint32_t mode) {
    std::optional<io::Error> result;
    disk.set_mode(path, mode, [&](io::Error e) { result = e; });
    ASSERT_TRUE(run_until([&] { return result.has_value(); }));
    ASSERT_EQ(*result, io::Error::ok) << path;
  }

  // What a daemon wrote and never synced before it crashed (its machine did not): on
  // the disk now, gone at the next power cut.
  void write_unsynced(fsim::MemFs& disk, const std::string& path, const io::Bytes& contents) {
    std::optional<io::Result<io::FileHandle>> opened;
    disk.open(path, {.read = true, .write = true, .create = true}, [&](io::Result<io::FileHandle> file) { opened = file; });
    ASSERT_TRUE(run_until([&] { return opened.has_value(); }));
    ASSERT_TRUE(opened->ok()) << path;
    std::optional<io::Result<std::uint64_t>> written;
    disk.write(**opened, 0, contents, [&](io::Result<std::uint64_t> bytes) { written = bytes; });
    ASSERT_TRUE(run_until([&] { return written.has_value(); }));
    ASSERT_TRUE(written->ok()) << path;
    bool closed = false;
    disk.close(**opened, [&](io::Error) { closed = true; });
    ASSERT_TRUE(run_until([&] { return closed; }));
  }
  void make_directory_unsynced(fsim::MemFs& disk, const std::string& path) {
    std::optional<io::Error> made;
    disk.mkdir(path, [&](io::Error e) { made = e; });
    ASSERT_TRUE(run_until([&] { return made.has_value(); }));
    ASSERT_EQ(*made, io::Error::ok) << path;
  }

  void install_both(const std::string& path, const io::Bytes& contents) {
    prim_->disk().install_file(path, contents);
    second_->disk().install_file(path, contents);
  }

  struct Held {
    FileOp op;
    std::function<void(io::Error)> done;
  };
  std::uint64_t seed_;
  sim::SimCluster cluster_;
  sim::SimNode* prim_ = nullptr;
  sim::SimNode* second_ = nullptr;
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<Replica> replica_;
  std::size_t parallel_reads_ = 1;  // the source's, set before build()
  std::unique_ptr<SourceReads> source_fs_;  // before source_: it outlives it
  std::unique_ptr<ReintegrationSource> source_;
  std::unique_ptr<ReintegrationTarget> target_;
  std::unique_ptr<io::StreamListener> listener_;
  std::unique_ptr<wire::FramedConnection> prim_link_;
  std::unique_ptr<wire::FramedConnection> second_link_;
  std::deque<Held> held_;
  std::vector<std::string> link_errors_;
  std::vector<std::string> failures_;
  int replica_failures_ = 0;
};

TEST_F(Reintegration, full_reintegration_into_a_wiped_target_makes_both_trees_byte_identical) {
  io::Prng prng(7);
  prim_->disk().install_file("/data/a/b/c.txt", random_bytes(prng, 10'000));
  prim_->disk().install_directory("/data/a/empty");
  prim_->disk().install_file("/data/zero", {});
  prim_->disk().install_file("/data/big", random_bytes(prng, 1'500'000));  // more than one checksum message
  prim_->disk().install_file("/data/k/inside", random_bytes(prng, 5));
  second_->disk().install_file("/data/k", random_bytes(prng, 100));  // a file where a directory belongs
  second_->disk().install_file("/data/extra/x/y", random_bytes(prng, 3000));
  second_->disk().install_file("/data/old", random_bytes(prng, 9000));
  build(GenerationInfo{});
  source_->start_full(*prim_link_);
  ASSERT_TRUE(run_until([&] { return synchronised(); })) << "seed " << seed_;
  EXPECT_TRUE(link_errors_.empty());
  expect_identical_copies();
  const auto generation = durable_generation(second_->disk());
  ASSERT_TRUE(generation.has_value());
  EXPECT_TRUE(generation->consistent);
  EXPECT_EQ(generation->current, kPrimaryGeneration);
  EXPECT_TRUE(may_promote_itself(*generation));

  // After the switch the Replicator carries writes synchronously to the new secondary.
  bool written = false;
  live(write_op("zero", 0, io::Bytes{'o', 'k'}), [&](io::Error e) {
    EXPECT_EQ(e, io::Error::ok);
    written = true;
  });
  ASSERT_TRUE(run_until([&] { return written; }));
  EXPECT_EQ(second_->disk().contents("/data/zero"), (io::Bytes{'o', 'k'}));
}

TEST_F(Reintegration, full_reintegration_gives_each_file_the_primarys_mode_also_where_the_bytes_already_match) {
  io::Prng prng(17);
  const io::Bytes same = random_bytes(prng, 10'000);
  install_both("/data/tool", same);
  install_both("/data/empty", {});
  prim_->disk().install_file("/data/only-here", random_bytes(prng, 100));
  set_mode(prim_->disk(), "/data/tool", 0750);
  set_mode(prim_->disk(), "/data/empty", 0600);
  set_mode(prim_->disk(), "/data/only-here", 04711);
  set_mode(second_->disk(), "/data/tool", 0777);
  build(GenerationInfo{});
  source_->start_full(*prim_link_);
  ASSERT_TRUE(run_until([&] { return synchronised(); })) << "seed " << seed_;
  EXPECT_TRUE(link_errors_.empty());
  expect_identical_copies();
  EXPECT_EQ(mode_of(second_->disk(), "/data/tool"), 0750u);
  EXPECT_EQ(mode_of(second_->disk(), "/data/empty"), 0600u);
  EXPECT_EQ(mode_of(second_->disk(), "/data/only-here"), 04711u);
}

TEST_F(Reintegration, full_reintegration_gives_each_directory_the_primarys_mode_whether_the_target_had_it_or_not) {
  for (const char* dir : {"/data/shared", "/data/shared/inner"}) {
    prim_->disk().install_directory(dir);
    second_->disk().install_directory(dir);
  }
  prim_->disk().install_directory("/data/only-here/deeper");
  set_mode(prim_->disk(), "/data/shared", 0700);
  set_mode(prim_->disk(), "/data/shared/inner", 02750);
  set_mode(second_->disk(), "/data/shared/inner", 0777);
  set_mode(prim_->disk(), "/data/only-here", 01777);
  set_mode(prim_->disk(), "/data/only-here/deeper", 0);
  build(GenerationInfo{});
  source_->start_full(*prim_link_);
  ASSERT_TRUE(run_until([&] { return synchronised(); })) << "seed " << seed_;
  EXPECT_TRUE(link_errors_.empty());
  expect_identical_copies();
  EXPECT_EQ(mode_of(second_->disk(), "/data/shared"), 0700u);
  EXPECT_EQ(mode_of(second_->disk(), "/data/shared/inner"), 02750u);
  EXPECT_EQ(mode_of(second_->disk(), "/data/only-here"), 01777u);
  EXPECT_EQ(mode_of(second_->disk(), "/data/only-here/deeper"), 0u) << "0000 is a mode too";
}

// A target whose daemon is not root (or runs on Windows) cannot write a read-only
// file nor make entries in a read-only directory: it writes everything first and
// gives the read-only modes last, deepest first, and makes what it already held
// read-only writable while it works.
class ReintegrationIntoAUsersCopy : public Reintegration {
 protected:
  ReintegrationIntoAUsersCopy() : Reintegration(1, /*second_not_root=*/true) {}
};

TEST_F(ReintegrationIntoAUsersCopy, read_only_files_and_directories_end_with_their_data_and_their_modes) {
  io::Prng prng(23);
  io::Bytes contents = random_bytes(prng, 300'000);  // several block messages
  prim_->disk().install_file("/data/ro", contents);
  contents[150'000] ^= 1;
  second_->disk().install_file("/data/ro", contents);  // stale, and read-only here already
  set_mode(second_->disk(), "/data/ro", 0444);
  prim_->disk().install_file("/data/locked/inner", random_bytes(prng, 10'000));
  prim_->disk().install_file("/data/locked/deeper/f", random_bytes(prng, 5'000));
  prim_->disk().install_directory("/data/locked/none");
  second_->disk().install_directory("/data/locked");  // read-only here, its children missing
  second_->disk().install_file("/data/extra/x", random_bytes(prng, 100));  // to remove from a read-only directory
  for (const auto& [path, mode] : std::vector<std::pair<std::string, std::uint32_t>>{
           {"/data/ro", 0444}, {"/data/locked", 0555}, {"/data/locked/inner", 0444},
           {"/data/locked/deeper", 0500}, {"/data/locked/deeper/f", 0400}, {"/data/locked/none", 0}}) {
    set_mode(prim_->disk(), path, mode);
  }
  set_mode(second_->disk(), "/data/locked", 0555);
  set_mode(second_->disk(), "/data/extra", 0555);
  build(GenerationInfo{});
  source_->start_full(*prim_link_);
  ASSERT_TRUE(run_until([&] { return synchronised(); })) << "failures " << (failures_.empty() ? "" : failures_.front())
                                                          << ", link " << (link_errors_.empty() ? "" : link_errors_.front());
  EXPECT_TRUE(link_errors_.empty());
  EXPECT_EQ(source_->progress().rechecks, 0u) << "every resync message applied the first time";
  expect_identical_copies();
  EXPECT_EQ(mode_of(second_->disk(), "/data/locked/deeper/f"), 0400u);
  EXPECT_EQ(mode_of(second_->disk(), "/data/locked"), 0555u);
  EXPECT_EQ(second_->disk().contents("/data/extra/x"), std::nullopt);
  const auto generation = durable_generation(second_->disk());
  ASSERT_TRUE(generation.has_value());
  EXPECT_TRUE(generation->consistent);
}

// A chmod of a directory while the secondary was away marks its name (activity log:
// meta); the plan lists the parent, whose listing carries the directory's mode.
TEST_F(Reintegration, fast_reintegration_carries_a_directory_mode_changed_while_the_target_was_away) {
  install_both("/data/sub/file", io::Bytes{1, 2, 3});
  GenerationInfo same{.current = kPrimaryGeneration, .consistent = true, .last_role = LastRole::secondary};
  build(same);
  bool changed = false;
  ASSERT_EQ(replicator_->submit({.kind = OpKind::set_mode, .path = "sub", .mode = 0700}, [&](io::Error e) { changed = e == io::Error::ok; }),
            io::Error::ok);
  ASSERT_TRUE(run_until([&] { return changed; }));
  FastResyncInput plan;
  plan.changed_directories = {{0, ""}};
  source_->start_fast(*prim_link_, plan);
  ASSERT_TRUE(run_until([&] { return synchronised(); }));
  EXPECT_TRUE(link_errors_.empty());
  EXPECT_EQ(mode_of(second_->disk(), "/data/sub"), 0700u);
  expect_identical_copies();
}

TEST(ReintegrationMessages, a_listing_entry_carries_a_directorys_mode_and_nothing_else) {
  auto decode = [](const ListingEntry& entry) {
    return wire::decode_body<ResyncDirListing>(wire::encode_body(ResyncDirListing{.entries = {entry}}));
  };
  ASSERT_TRUE(decode({.name = "d", .kind = io::FileKind::directory, .mode = 0}).ok()) << "0000";
  auto decoded = decode({.name = "d", .kind = io::FileKind::directory, .mode = 07777});
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value().entries.front().mode, 07777u);
  EXPECT_EQ(decode({.name = "d", .kind = io::FileKind::directory, .mode = 040755}).error(),
            "resync_dir_listing: entry mode has bits outside the permission bits 07777");
  EXPECT_EQ(decode({.name = "f", .kind = io::FileKind::regular, .mode = 0644}).error(),
            "resync_dir_listing: mode on a file entry (it travels with the file's data)");
}

TEST_F(Reintegration, full_reintegration_sends_only_the_differing_blocks_when_most_data_matches) {
  io::Prng prng(11);
  constexpr std::size_t kFiles = 10;
  constexpr std::size_t kFileBytes = 100 * kResyncBlockBytes;
  std::uint64_t differing = 0;
  for (std::size_t f = 0; f < kFiles; ++f) {
    const std::string path = "/data/f" + std::to_string(f);
    io::Bytes contents = random_bytes(prng, kFileBytes);
    prim_->disk().install_file(path, contents);
    for (std::size_t block = f % 10; block < 100; block += 10) {  // one block in ten differs
      contents[block * kResyncBlockBytes + prng.below(kResyncBlockBytes)] ^= 0x5a;
      ++differing;
    }
    second_->disk().install_file(path, contents);
  }
  build(GenerationInfo{});
  std::vector<ResyncProgress> samples;
  source_->start_full(*prim_link_);
  ASSERT_TRUE(run_until([&] {
    samples.push_back(source_->progress());
    return synchronised();
  }));
  expect_identical_copies();
  const ResyncProgress done = source_->progress();
  const std::uint64_t total = kFiles * kFileBytes;
  std::printf("data sent %llu of %llu bytes, checksums %llu bytes\n", static_cast<unsigned long long>(done.data_bytes_sent),
              static_cast<unsigned long long>(total), static_cast<unsigned long long>(done.checksum_bytes_sent));
  EXPECT_EQ(done.data_bytes_sent, differing * kResyncBlockBytes) << "exactly the differing blocks";
  EXPECT_LE(done.data_bytes_sent, total / 10 + total / 100);
  EXPECT_EQ(target_->counters().blocks_differing, differing);
  EXPECT_EQ(done.checksum_bytes_sent, total / kResyncBlockBytes * 8);

  // Progress: both counters only grow, and end equal (100 %), with a rate.
  for (std::size_t i = 1; i < samples.size(); ++i) {
    ASSERT_GE(samples[i].bytes_done, samples[i - 1].bytes_done);
    ASSERT_GE(samples[i].bytes_to_do, samples[i - 1].bytes_to_do);
    ASSERT_LE(samples[i].bytes_done, samples[i].bytes_to_do);
  }
  EXPECT_EQ(done.bytes_to_do, total);
  EXPECT_EQ(done.bytes_done, done.bytes_to_do);
  EXPECT_GT(done.rate_bytes_per_s, 0u);
}

// Property counterexample 119600: a reintegrated copy kept its former lineage, so
// after its primary crashed the witness, which had recorded the primary's previous
// generation, refused it the lease for good. The copy now descends from the primary.
TEST_F(Reintegration, the_target_adopts_the_primarys_generation_history_not_its_own) {
  io::Prng prng(seed_);
  prim_->disk().install_file("/data/f", random_bytes(prng, 20'000));
  GenerationInfo unrelated{.current = 0x1234, .history = {0x12}, .consistent = true, .last_role = LastRole::secondary};
  second_->disk().install_file(kGenerationPath, wire::encode_body(unrelated));
  build(unrelated);
  source_->start_full(*prim_link_);
  ASSERT_TRUE(run_until([&] { return synchronised(); })) << "seed " << seed_;
  const auto generation = durable_generation(second_->disk());
  ASSERT_TRUE(generation.has_value());
  EXPECT_EQ(generation->current, kPrimaryGeneration);
  EXPECT_EQ(generation->history, std::vector<std::uint64_t>{kPrimaryAncestor});
}

TEST_F(Reintegration, a_target_killed_mid_reintegration_stays_durably_inconsistent_and_is_never_promoted) {
  io::Prng prng(3);
  for (int f = 0; f < 8; ++f) prim_->disk().install_file("/data/f" + std::to_string(f), random_bytes(prng, 600'000));
  // The returning node had been a good secondary once, then lost its record.
  GenerationInfo before{.current = 0x1234, .consistent = true, .last_role = LastRole::secondary};
  second_->disk().install_file(kGenerationPath, wire::encode_body(before));
  build(before);
  source_->start_full(*prim_link_);
  ASSERT_TRUE(run_until([&] { return target_->counters().data_bytes_written > 0; }));
  ASSERT_FALSE(synchronised());
  second_->disk().crash();  // power cut on the target
  const auto after = durable_generation(second_->disk());
  ASSERT_TRUE(after.has_value());
  EXPECT_FALSE(after->consistent);
  EXPECT_FALSE(may_promote_itself(*after)) << why_not_promotable(*after);
}

// The target batches its fsyncs into one checkpoint at done: what it declared consistent
// must survive a power cut right after the switch, with several reads in flight.
TEST_F(Reintegration, a_pipelined_full_reintegration_is_durable_on_the_target_when_it_declares_itself_consistent) {
  io::Prng prng(13);
  for (int f = 0; f < 24; ++f) {
    prim_->disk().install_file("/data/" + std::string(f % 2 == 0 ? "d/" : "") + "f" + std::to_string(f),
                               random_bytes(prng, prng.below(300'000)));
  }
  second_->disk().install_file("/data/f1", random_bytes(prng, 5000));  // stale: partly rewritten
  parallel_reads_ = 4;
  build(GenerationInfo{});
  source_->start_full(*prim_link_);
  ASSERT_TRUE(run_until([&] { return synchronised(); })) << "seed " << seed_;
  EXPECT_GT(source_->progress().reads_in_flight_max, 1u) << "the reads must overlap";
  EXPECT_LE(source_->progress().reads_in_flight_max, 4u);
  second_->disk().crash();  // power cut on the target, right after it answered done
  const auto generation = durable_generation(second_->disk());
  ASSERT_TRUE(generation.has_value());
  EXPECT_TRUE(generation->consistent);
  expect_identical_copies();
}

// Found right is not durable: what the target's daemon wrote before it crashed (its
// machine did not) may still sit unsynced in the page cache, match the primary's, and
// be lost by a power cut after the target declared itself synchronised.
TEST_F(Reintegration, data_the_target_held_unsynced_and_found_right_is_durable_when_it_declares_itself_consistent) {
  io::Prng prng(29);
  const io::Bytes rewritten = random_bytes(prng, 3 * kResyncBlockBytes + 100);
  const io::Bytes fresh = random_bytes(prng, 5000);
  prim_->disk().install_file("/data/rewritten", rewritten);
  prim_->disk().install_file("/data/made/fresh", fresh);
  second_->disk().install_file("/data/rewritten", random_bytes(prng, rewritten.size()));  // durable: older bytes
  write_unsynced(second_->disk(), "/data/rewritten", rewritten);
  make_directory_unsynced(second_->disk(), "/data/made");
  write_unsynced(second_->disk(), "/data/made/fresh", fresh);
  ASSERT_NE(second_->disk().durable_contents("/data/rewritten"), rewritten);
  ASSERT_EQ(second_->disk().durable_contents("/data/made/fresh"), std::nullopt);
  build(GenerationInfo{});
  source_->start_full(*prim_link_);
  ASSERT_TRUE(run_until([&] { return synchronised(); })) << "seed " << seed_;
  EXPECT_TRUE(link_errors_.empty());
  EXPECT_EQ(target_->counters().blocks_differing, 0u) << "everything already matched";
  EXPECT_EQ(target_->counters().entries_created, 0u);
  EXPECT_EQ(second_->disk().durable_contents("/data/rewritten"), rewritten) << "a compared file is fsynced";
  EXPECT_EQ(second_->disk().durable_contents("/data/made/fresh"), fresh) << "a listed directory is flushed";
  second_->disk().crash();  // the power cut
  expect_identical_copies();
}

// Comparing a file the target created empty at its listing is a round trip for nothing:
// once the listing's ack says so, such files are sent whole.
TEST_F(Reintegration, a_full_reintegration_sends_files_the_target_lacked_whole_without_comparing_them) {
  io::Prng prng(17);
  constexpr int kFiles = 64;
  constexpr std::uint64_t kFileBytes = 20 * kResyncBlockBytes;
  for (int f = 0; f < kFiles; ++f) prim_->disk().install_file("/data/f" + std::to_string(f), random_bytes(prng, kFileBytes));
  parallel_reads_ = 2;
  build(GenerationInfo{});
  source_->start_full(*prim_link_);
  ASSERT_TRUE(run_until([&] { return synchronised(); })) << "seed " << seed_;
  expect_identical_copies();
  const ResyncProgress progress = source_->progress();
  std::printf("blocks compared %llu of %llu\n", static_cast<unsigned long long>(progress.blocks_compared),
              static_cast<unsigned long long>(kFiles * kFileBytes / kResyncBlockBytes));
  // Only the files whose comparison began before the ack came back are compared.
  EXPECT_LT(progress.blocks_compared, kFiles * kFileBytes / kResyncBlockBytes / 2);
  EXPECT_EQ(progress.data_bytes_sent, kFiles * kFileBytes);
  EXPECT_EQ(progress.bytes_done, progress.bytes_to_do);
  EXPECT_EQ(progress.bytes_to_do, kFiles * kFileBytes);
}

// The secondary was away while the primary wrote alone; the activity record (here
// built by the test from the writes, rounded to the bitmap block) drives fast mode.
TEST_F(Reintegration, fast_reintegration_sends_at_most_twice_the_bytes_written_meanwhile) {
  io::Prng prng(5);
  for (int f = 0; f < 6; ++f) install_both("/data/f" + std::to_string(f), random_bytes(prng, 200'000));
  install_both("/data/gone", random_bytes(prng, 50'000));
  install_both("/data/sub/keep", random_bytes(prng, 10'000));
  GenerationInfo same{.current = kPrimaryGeneration, .consistent = true, .last_role = LastRole::secondary};
  build(same);

  // Alone: writes, a new file, a deleted one.
  FastResyncInput plan;
  std::uint64_t written_rounded = 0;
  int pending = 0;
  auto alone = [&](FileOp op) {
    ++pending;
    ASSERT_EQ(replicator_->submit(std::move(op), [&](io::Error e) {
      EXPECT_EQ(e, io::Error::ok);
      --pending;
    }), io::Error::ok);
  };
  for (int i = 0; i < 40; ++i) {
    const std::string path = "f" + std::to_string(prng.below(6));
    const std::uint64_t offset = prng.below(200'000);
    const std::uint64_t size = 1 + prng.below(9000);
    alone(write_op(path, offset, random_bytes(prng, size)));
    const std::uint64_t first = offset / kResyncBlockBytes * kResyncBlockBytes;
    const std::uint64_t end = (offset + size + kResyncBlockBytes - 1) / kResyncBlockBytes * kResyncBlockBytes;
    written_rounded += end - first;
    plan.files.push_back({.directory = 0, .path = path, .ranges = {{first, end - first}}});
  }
  alone({.kind = OpKind::create, .path = "sub/new"});
  alone(write_op("sub/new", 0, random_bytes(prng, 20'000)));
  written_rounded += 5 * kResyncBlockBytes;
  alone({.kind = OpKind::unlink, .path = "gone"});
  plan.changed_directories = {{0, ""}, {0, "sub"}};
  ASSERT_TRUE(run_until([&] { return pending == 0; }));

  source_->start_fast(*prim_link_, plan);
  ASSERT_TRUE(run_until([&] { return synchronised(); }));
  expect_identical_copies();
  const ResyncProgress done = source_->progress();
  std::printf("fast: sent %llu bytes for %llu written (rounded)\n", static_cast<unsigned long long>(done.data_bytes_sent),
              static_cast<unsigned long long>(written_rounded));
  EXPECT_LE(done.data_bytes_sent, 2 * written_rounded);
  EXPECT_EQ(done.checksum_bytes_sent, 0u) << "fast mode sends what the plan lists, without comparing";
  EXPECT_EQ(done.bytes_done, done.bytes_to_do);
  EXPECT_TRUE(link_errors_.empty());
}

// Issue 6 (fourteenth session): a fast reintegration's small messages keep up to
// kMaxUnansweredResyncDataMessages in flight (16 left the disk and the target
// waiting), while 1 MiB messages stop at kMaxResyncBytesInFlight of data: the target
// holds a message's data until it is applied.
TEST_F(Reintegration, fast_reintegration_keeps_many_small_messages_in_flight_and_bounds_their_bytes) {
  io::Prng prng(8);
  constexpr int kFiles = 40;
  constexpr std::uint64_t kFileBytes = 1'500'000;
  for (int f = 0; f < kFiles; ++f) install_both("/data/f" + std::to_string(f), random_bytes(prng, kFileBytes));
  GenerationInfo same{.current = kPrimaryGeneration, .consistent = true, .last_role = LastRole::secondary};
  parallel_reads_ = 8;
  build(same);
  FastResyncInput plan;
  int pending = 0;
  auto alone = [&](const std::string& path, std::uint64_t offset, std::uint64_t size) {
    ++pending;
    ASSERT_EQ(replicator_->submit(write_op(path, offset, random_bytes(prng, size)), [&](io::Error e) {
      EXPECT_EQ(e, io::Error::ok);
      --pending;
    }), io::Error::ok);
    const std::uint64_t first = offset / kResyncBlockBytes * kResyncBlockBytes;
    const std::uint64_t end = (offset + size + kResyncBlockBytes - 1) / kResyncBlockBytes * kResyncBlockBytes;
    plan.files.push_back({.directory = 0, .path = path, .ranges = {{first, end - first}}});
  };
  // The first half of the files changed in small places, the other half whole.
  for (int f = 0; f < kFiles; ++f) {
    const std::string path = "f" + std::to_string(f);
    if (f < kFiles / 2) {
      for (int i = 0; i < 5; ++i) alone(path, prng.below(kFileBytes - 4096), 1 + prng.below(4096));
    } else {
      alone(path, 0, kMaxResyncDataBytes);
    }
  }
  ASSERT_TRUE(run_until([&] { return pending == 0; }));
  source_->start_fast(*prim_link_, plan);
  // A stalled target: the source sends until a bound stops it.
  second_->freeze();
  cluster_.scheduler().run_for(2 * io::kNsPerS);
  second_->thaw();
  ASSERT_TRUE(run_until([&] { return synchronised(); }));
  expect_identical_copies();
  const ResyncProgress done = source_->progress();
  std::printf("unanswered at most %llu, bytes in flight at most %llu\n", static_cast<unsigned long long>(done.unanswered_max),
              static_cast<unsigned long long>(done.bytes_in_flight_max));
  EXPECT_GT(done.unanswered_max, kMaxUnansweredResyncMessages);
  EXPECT_LE(done.unanswered_max, kMaxUnansweredResyncDataMessages);
  EXPECT_GT(done.bytes_in_flight_max, kMaxResyncBytesInFlight / 2) << "the 1 MiB messages fill the bytes bound";
  EXPECT_LE(done.bytes_in_flight_max, kMaxResyncBytesInFlight);
  EXPECT_TRUE(link_errors_.empty());
}

// Issue 6 (branch reint3): the fast mode's scattered small ranges cost one open per
// file on the source, and a target file already at its size and mode is not created,
// truncated and given its mode again before the bytes are written.
TEST(ResyncBlockDataCheck, extents_must_be_in_order_disjoint_inside_the_file_and_add_up_to_the_data) {
  ResyncBlockData message{.path = "f", .file_size = 100, .extents = {{0, 2}, {10, 3}, {98, 2}}, .data = io::Bytes(7, 1)};
  EXPECT_EQ(message.check(), "");
  auto with = [&](std::vector<DataExtent> extents, std::size_t data_bytes) {
    ResyncBlockData changed = message;
    changed.extents = std::move(extents);
    changed.data = io::Bytes(data_bytes, 1);
    return changed.check();
  };
  EXPECT_EQ(with({}, 0), "") << "only a size and a mode";
  EXPECT_EQ(with({{10, 3}, {0, 2}}, 5), "extents out of order or overlapping");
  EXPECT_EQ(with({{0, 5}, {4, 2}}, 7), "extents out of order or overlapping");
  EXPECT_EQ(with({{0, 2}, {2, 0}}, 2), "an empty extent");
  EXPECT_EQ(with({{99, 2}}, 2), "data beyond the file size it was read with");
  EXPECT_EQ(with({{UINT64_MAX, 2}}, 2), "data beyond the file size it was read with") << "no overflow";
  EXPECT_EQ(with({{0, 2}}, 3), "extents that do not add up to the data");
  std::vector<DataExtent> many;
  for (std::uint64_t i = 0; i <= kMaxExtentsPerBlockData; ++i) many.push_back({i, 1});
  message.file_size = 1000;
  EXPECT_EQ(with(many, many.size()), "more than " + std::to_string(kMaxExtentsPerBlockData) + " extents");
}

TEST_F(Reintegration, fast_reintegration_reads_a_files_ranges_under_one_open_and_leaves_a_file_already_sized_as_it_is) {
  io::Prng prng(6);
  constexpr int kFiles = 3;
  constexpr int kRangesPerFile = 4;
  for (int f = 0; f < kFiles; ++f) install_both("/data/f" + std::to_string(f), random_bytes(prng, 200'000));
  GenerationInfo same{.current = kPrimaryGeneration, .consistent = true, .last_role = LastRole::secondary};
  build(same);

  FastResyncInput plan;
  int pending = 0;
  for (int f = 0; f < kFiles; ++f) {
    ResyncFileRanges file{.directory = 0, .path = "f" + std::to_string(f)};
    for (int r = 0; r < kRangesPerFile; ++r) {
      const std::uint64_t offset = (static_cast<std::uint64_t>(r) * 12 + 1) * kResyncBlockBytes;  // apart: one range each
      ++pending;
      ASSERT_EQ(replicator_->submit(write_op(file.path, offset, random_bytes(prng, kResyncBlockBytes)), [&](io::Error e) {
        EXPECT_EQ(e, io::Error::ok);
        --pending;
      }), io::Error::ok);
      file.ranges.push_back({offset, kResyncBlockBytes});
    }
    plan.files.push_back(std::move(file));
  }
  ASSERT_TRUE(run_until([&] { return pending == 0; }));

  source_->start_fast(*prim_link_, plan);
  ASSERT_TRUE(run_until([&] { return synchronised(); }));
  expect_identical_copies();
  const ResyncProgress done = source_->progress();
  EXPECT_EQ(done.data_bytes_sent, std::uint64_t{kFiles * kRangesPerFile} * kResyncBlockBytes);
  EXPECT_EQ(done.file_reads, std::uint64_t{kFiles}) << "each file's ranges are read under one open";
  EXPECT_EQ(source_fs_->read_ranges_calls, std::size_t{kFiles}) << "open, fstat, reads and close: one call per file";
  EXPECT_EQ(source_fs_->opens, 0u) << "no open of its own: a backend may make the whole read one round trip";
  EXPECT_EQ(target_->counters().data_messages_applied, std::uint64_t{kFiles}) << "each file's ranges travel in one message";
  EXPECT_EQ(target_->counters().files_already_sized, std::uint64_t{kFiles});
  EXPECT_EQ(target_->counters().files_sized, 0u) << "no create, truncate or set_mode for a file already at its size and mode";
  EXPECT_EQ(done.bytes_done, done.bytes_to_do);
  EXPECT_TRUE(link_errors_.empty());
}

TEST_F(Reintegration, fast_reintegration_hints_the_files_ahead_of_its_reads_in_batches_within_its_bounds) {
  io::Prng prng(7);
  constexpr int kFiles = 100;
  parallel_reads_ = 3;
  std::map<std::string, std::vector<io::FileRange>> planned;  // by native path
  FastResyncInput plan;
  for (int f = 0; f < kFiles; ++f) {
    char name[8];
    std::snprintf(name, sizeof name, "f%03d", f);
    install_both(std::string("/data/") + name, random_bytes(prng, 40'000));
    ResyncFileRanges file{.directory = 0, .path = name};
    file.ranges = {{0, kResyncBlockBytes}, {5 * kResyncBlockBytes, 2 * kResyncBlockBytes}};
    planned[std::string("/data/") + name] = {{0, kResyncBlockBytes}, {5 * kResyncBlockBytes, 2 * kResyncBlockBytes}};
    plan.files.push_back(std::move(file));
  }
  build(GenerationInfo{.current = kPrimaryGeneration, .consistent = true, .last_role = LastRole::secondary});
  source_->start_fast(*prim_link_, plan);
  ASSERT_TRUE(run_until([&] { return synchronised(); }));
  expect_identical_copies();

  const auto& reads = source_fs_->reads;
  ASSERT_EQ(reads.size(), std::size_t{kFiles});
  std::map<std::string, std::size_t> read_at;  // a file's place among the reads
  for (std::size_t i = 0; i < reads.size(); ++i) read_at[reads[i]] = i;
  std::set<std::string> hinted;
  for (const SourceReads::Hint& hint : source_fs_->hints) {
    EXPECT_LE(hint.files.size(), kReadAheadBatch) << "one batch per hint";
    for (const io::ReadAhead& file : hint.files) {
      EXPECT_TRUE(hinted.insert(file.path).second) << file.path << " hinted twice";
      ASSERT_TRUE(read_at.contains(file.path)) << file.path;
      EXPECT_GE(read_at[file.path], hint.reads_before) << file.path << " hinted after its read started";
      EXPECT_LT(read_at[file.path], hint.reads_before + parallel_reads_ + kReadAheadFiles) << file.path << " hinted too far ahead";
      ASSERT_EQ(file.ranges.size(), planned[file.path].size());
      for (std::size_t r = 0; r < file.ranges.size(); ++r) {
        EXPECT_EQ(file.ranges[r].offset, planned[file.path][r].offset);
        EXPECT_EQ(file.ranges[r].length, planned[file.path][r].length);
      }
    }
  }
  EXPECT_EQ(hinted.size(), std::size_t{kFiles} - parallel_reads_) << "every file but those read at once";
  EXPECT_LE(source_fs_->hints.size(), std::size_t{kFiles} / kReadAheadBatch + 2) << "files hinted in batches, not one by one";
  EXPECT_TRUE(link_errors_.empty());
}

// Seed 639: a file removed while the secondary was away is created again by a writer
// just as the fast reintegration starts. The listing, read again after the create,
// finds the name on both sides; the target must not keep its stale bytes under it.
TEST_F(Reintegration, a_live_create_over_a_name_the_target_still_holds_stale_leaves_the_copies_identical) {
  io::Prng prng(13);
  install_both("/data/f", random_bytes(prng, 30'000));
  GenerationInfo same{.current = kPrimaryGeneration, .consistent = true, .last_role = LastRole::secondary};
  build(same);
  bool removed = false;
  ASSERT_EQ(replicator_->submit({.kind = OpKind::unlink, .path = "f"}, [&](io::Error e) { removed = e == io::Error::ok; }),
            io::Error::ok);
  ASSERT_TRUE(run_until([&] { return removed; }));
  FastResyncInput plan;
  plan.changed_directories = {{0, ""}};
  source_->start_fast(*prim_link_, plan);
  bool created = false;
  live({.kind = OpKind::create, .path = "f"}, [&](io::Error e) { created = e == io::Error::ok; });
  ASSERT_TRUE(run_until([&] { return created && synchronised(); }));
  EXPECT_EQ(second_->disk().contents("/data/f"), io::Bytes{}) << "the stale file's bytes are gone";
  expect_identical_copies();
}

// A name changed while the secondary was away, then extended by a writer as the fast
// reintegration starts: the plan comes from the record's real marks (DirtyMap), and
// the live op reaches the target (and extends its old file there) before the plan's
// message about that name does.
class ReintegrationAfterACut : public Reintegration {
 protected:
  void alone(FileOp op) {
    const FileOp copy = op;
    bool applied = false;
    ASSERT_EQ(replicator_->submit(std::move(op), [&](io::Error e) {
      EXPECT_EQ(e, io::Error::ok);
      dirty_.mark(copy, e);
      applied = true;
    }), io::Error::ok);
    ASSERT_TRUE(run_until([&] { return applied; }));
  }

  // Plans as the node does, from the primary's files as they are now.
  FastResyncInput plan(const std::vector<std::string>& paths) {
    SenderView sender;
    for (const std::string& path : paths) {
      if (auto data = prim_->disk().contents("/data/" + path)) sender[{0, path}] = {.size_bytes = data->size()};
    }
    auto input = to_fast_resync_input(build_resync_plan(dirty_, sender));
    EXPECT_TRUE(input.has_value());
    return input.value_or(FastResyncInput{});
  }

  void extend_live_and_synchronise(const std::string& path, std::uint64_t size) {
    bool extended = false;
    live({.kind = OpKind::truncate, .path = path, .size_bytes = size}, [&](io::Error e) { extended = e == io::Error::ok; });
    ASSERT_TRUE(run_until([&] { return extended && synchronised(); }));
  }

  DirtyMap dirty_;
};

// Seed 96453: the primary renamed f away and created f again, empty; its plan had no
// byte to send for f, only a size, and the target's old f, cut by the live truncate to
// that very size, kept its old bytes.
TEST_F(ReintegrationAfterACut, seed_96453_a_name_created_again_while_apart_then_extended_live_is_sent_whole) {
  io::Prng prng(96453);
  install_both("/data/f", random_bytes(prng, 60'000));
  build(GenerationInfo{.current = kPrimaryGeneration, .consistent = true, .last_role = LastRole::secondary});
  alone({.kind = OpKind::rename, .path = "f", .target = "g"});
  alone({.kind = OpKind::create, .path = "f"});
  source_->start_fast(*prim_link_, plan({"f", "g"}));
  extend_live_and_synchronise("f", 38'997);
  EXPECT_EQ(second_->disk().contents("/data/f"), io::Bytes(38'997, 0)) << "not the old f's bytes";
  expect_identical_copies();
}

// The same with a cut above 0: the file truncated to 100 while apart, extended live.
TEST_F(ReintegrationAfterACut, a_file_cut_while_apart_then_extended_live_has_its_old_bytes_past_the_cut_replaced) {
  io::Prng prng(96454);
  const io::Bytes old = random_bytes(prng, 60'000);
  install_both("/data/f", old);
  build(GenerationInfo{.current = kPrimaryGeneration, .consistent = true, .last_role = LastRole::secondary});
  alone({.kind = OpKind::truncate, .path = "f", .size_bytes = 100});
  source_->start_fast(*prim_link_, plan({"f"}));
  extend_live_and_synchronise("f", 30'000);
  io::Bytes expected(old.begin(), old.begin() + 100);
  expected.resize(30'000, 0);
  EXPECT_EQ(second_->disk().contents("/data/f"), expected);
  expect_identical_copies();
}

// Writers carry on during a full reintegration: writes, truncates, new directories
// and files, renames, deletes and chmods, closed loop with random pauses, before,
// across and after the switch.
class ReintegrationWithLiveWrites : public Reintegration, public ::testing::WithParamInterface<std::uint64_t> {
 protected:
  // Seeds cover one read at a time and several in flight (nbrei 1 to 4).
  ReintegrationWithLiveWrites() : Reintegration(GetParam()) { parallel_reads_ = 1 + GetParam() % 4; }
};

TEST_P(ReintegrationWithLiveWrites, copies_end_identical_and_no_older_block_lands_after_a_newer_write) {
  io::Prng prng(GetParam() * 7919 + 1);
  std::vector<std::string> files;
  for (int f = 0; f < 12; ++f) {
    const std::string path = (f % 3 == 0 ? "d/" : "") + std::string("f") + std::to_string(f);
    io::Bytes contents = random_bytes(prng, prng.below(1'500'000));
    prim_->disk().install_file("/data/" + path, contents);
    // The returning copy: stale, partial or missing.
    if (prng.chance(1, 3)) {
      if (!contents.empty()) contents[prng.below(contents.size())] ^= 1;
      second_->disk().install_file("/data/" + path, contents);
    }
    files.push_back(path);
  }
  second_->disk().install_file("/data/stale/thing", random_bytes(prng, 1000));
  build(GenerationInfo{});
  source_->start_full(*prim_link_);

  constexpr int kOps = 200;
  int issued = 0;
  int completed = 0;
  int next_name = 0;
  std::vector<std::string> directories = {"d"};  // never removed
  std::function<void()> next_op = [&] {
    if (issued == kOps) return;
    ++issued;
    FileOp op;
    const std::uint64_t pick = prng.below(100);
    const std::string path = files.empty() ? "none" : files[prng.below(files.size())];
    if (pick < 55 || files.empty()) {
      op = write_op(files.empty() ? "none" : path, prng.below(320'000), random_bytes(prng, 1 + prng.below(12'000)));
    } else if (pick < 62) {
      op = {.kind = OpKind::truncate, .path = path, .size_bytes = prng.below(320'000)};
    } else if (pick < 72) {
      const std::string dir = "n" + std::to_string(next_name++);
      live({.kind = OpKind::mkdir, .path = dir, .mode = prng.chance(1, 2) ? 0700u : 0u}, [](io::Error) {});
      directories.push_back(dir);
      const std::string fresh = dir + "/new";
      live({.kind = OpKind::create, .path = fresh}, [](io::Error) {});
      files.push_back(fresh);
      op = write_op(fresh, prng.below(50'000), random_bytes(prng, 1 + prng.below(20'000)));  // into a file created meanwhile
    } else if (pick < 82) {
      const std::string renamed = "r" + std::to_string(next_name++);
      op = {.kind = OpKind::rename, .path = path, .target = renamed};
      std::erase(files, path);
      files.push_back(renamed);
    } else if (pick < 88) {
      op = {.kind = OpKind::unlink, .path = path};
      std::erase(files, path);
    } else if (pick < 94) {
      // A chmod of a directory races the listing that carries its mode, like a rename.
      constexpr std::uint32_t kModes[] = {0700, 0755, 02750, 0};
      const std::string& name = prng.chance(2, 3) ? directories[prng.below(directories.size())] : path;
      op = {.kind = OpKind::set_mode, .path = name, .mode = kModes[prng.below(4)]};
    } else {
      op = {.kind = OpKind::fsync, .path = path};
    }
    live(std::move(op), [&](io::Error) {
      ++completed;
      cluster_.scheduler().after(static_cast<std::int64_t>(prng.below(50 * io::kNsPerUs)), [&] { next_op(); });
    });
  };
  next_op();
  std::int64_t switch_ns = 0;
  ASSERT_TRUE(run_until([&] {
    if (switch_ns == 0 && synchronised()) switch_ns = cluster_.scheduler().now_ns();
    return synchronised() && completed == kOps && replicator_->in_flight() == 0;
  }, 300))
      << "seed " << GetParam() << " synchronised " << synchronised() << " completed " << completed << " failures " << (failures_.empty() ? "" : failures_.front()) << " link " << (link_errors_.empty() ? "" : link_errors_.front());
  ASSERT_TRUE(run_until([&] { return replica_->applied_through() + 1 == replicator_->next_sequence(); }));
  EXPECT_TRUE(link_errors_.empty()) << (link_errors_.empty() ? "" : link_errors_.front());
  expect_identical_copies();
  const ResyncProgress progress = source_->progress();
  std::printf("parallel reads %zu (at most %llu at once); switch at %lld us; live ops forwarded %llu (failed on target %llu), reads redone %llu, rechecks %llu, ordering checks %llu\n",
              parallel_reads_, static_cast<unsigned long long>(progress.reads_in_flight_max),
              static_cast<long long>(switch_ns / io::kNsPerUs), static_cast<unsigned long long>(progress.live_ops_forwarded),
              static_cast<unsigned long long>(progress.live_ops_failed_on_target),
              static_cast<unsigned long long>(progress.reads_redone), static_cast<unsigned long long>(progress.rechecks),
              static_cast<unsigned long long>(target_->counters().ordering_checks));
  EXPECT_GT(progress.live_ops_forwarded, 0u) << "writes must overlap the reintegration";
  EXPECT_GT(target_->counters().ordering_checks, 0u);
  EXPECT_EQ(progress.bytes_done, progress.bytes_to_do);
  const auto generation = durable_generation(second_->disk());
  ASSERT_TRUE(generation.has_value());
  EXPECT_TRUE(generation->consistent);
}

// The target's own check of the ordering rule: a block read before a live write it
// follows in the stream is refused, never written.
TEST(ReintegrationProtocol, a_resync_block_older_than_a_live_write_before_it_is_refused) {
  sim::SimCluster cluster(1);
  auto& node = cluster.add_node({.name = "n", .hosts = {{"lan", "10.0.0.9"}}});
  node.disk().install_directory("/data");
  node.disk().install_directory("/state");
  auto persist = [fs = &node.io().fs](const GenerationInfo& info, std::function<void(io::Error)> done) {
    io::write_file_atomically(*fs, kGenerationPath, wire::encode_body(info), std::move(done));
  };
  ReintegrationTarget target(node.io().fs, {"/data"}, persist, GenerationInfo{}, {.on_synchronised = [] {}});
  io::Bytes storage;
  auto frame_of = [&storage](const auto& message) { return wire::frame_of(message, storage); };
  EXPECT_EQ(target.on_frame(frame_of(ResyncDone{1, 0})), "reintegration frame before resync_begin");
  EXPECT_EQ(target.on_frame(frame_of(ResyncBegin{ResyncMode::full, 1})), "");
  EXPECT_EQ(target.on_frame(frame_of(ResyncLiveOp{ReplicateOp::from(1, write_op("f", 0, io::Bytes{1}))})), "");
  ResyncBlockData old_block{.id = 1, .path = "f", .watermark = 0, .file_size = 1, .extents = {{0, 1}}, .data = io::Bytes{2}};
  EXPECT_EQ(target.on_frame(frame_of(old_block)), "resync block older than a live write before it");
  ResyncBlockData other_file{.id = 2, .path = "g", .watermark = 0, .file_size = 1, .extents = {{0, 1}}, .data = io::Bytes{2}};
  EXPECT_EQ(target.on_frame(frame_of(other_file)), "") << "another file: no order to keep";
  old_block.watermark = 1;
  EXPECT_EQ(target.on_frame(frame_of(old_block)), "") << "read after the write: it contains it";
  EXPECT_EQ(target.on_frame(frame_of(ResyncLiveOp{ReplicateOp::from(2, {.kind = OpKind::rename, .path = "g", .target = "h"})})), "");
  EXPECT_EQ(target.on_frame(frame_of(ResyncDirListing{.id = 3, .watermark = 1})), "resync message older than a namespace op before it");
  EXPECT_EQ(target.on_frame(frame_of(ResyncDirListing{.id = 4, .watermark = 2})), "");
  // A listing carries the modes of directories: a set_mode orders it as a rename does.
  EXPECT_EQ(target.on_frame(frame_of(ResyncLiveOp{ReplicateOp::from(3, {.kind = OpKind::set_mode, .path = "d", .mode = 0700})})), "");
  EXPECT_EQ(target.on_frame(frame_of(ResyncDirListing{.id = 5, .watermark = 2})), "resync message older than a namespace op before it");
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReintegrationWithLiveWrites, ::testing::Range<std::uint64_t>(1, 21));

}  // namespace
}  // namespace hamirror::core
