// Test support: a primary and a secondary on simulated disks, playing the node's part
// of the activity record (README.md in runtime/core/activity): every op goes through
// the activity log before it is issued; while PRIM it is applied on both copies and
// durable checkpoints (every file and directory fsynced on both) retire extents; while
// ALONE its local result is marked in the dirty map, which is flushed lazily, and each
// flush retires the extents whose ops it holds. Random ops come from a seeded Prng over
// a small namespace, so creates, renames and unlinks collide with writes.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/activity/activity_log.h"
#include "core/activity/dirty_record.h"
#include "core/activity/resync_plan.h"
#include "core/replication/op_applier.h"
#include "fsim/mem_fs.h"
#include "plan_model.h"
#include "sim/scheduler.h"

namespace hamirror::core::testing {

// The seeds a randomized test runs: 1..N (N = HAMIRROR_SEEDS, default `fallback`), or
// only HAMIRROR_SEED to replay one — every run prints "seed N" first, and a failure
// names its seed in the trace:
//   HAMIRROR_SEED=17 core_activity_test --gtest_filter='ActivityRecord.*'
inline std::vector<std::uint64_t> test_seeds(std::uint64_t fallback) {
  if (const char* one = std::getenv("HAMIRROR_SEED")) return {std::strtoull(one, nullptr, 10)};
  std::uint64_t count = fallback;
  if (const char* many = std::getenv("HAMIRROR_SEEDS")) count = std::strtoull(many, nullptr, 10);
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t seed = 1; seed <= count; ++seed) seeds.push_back(seed);
  return seeds;
}

inline constexpr const char* kActivityPath = "/state/activity";
inline constexpr const char* kDirtyPath = "/state/dirty";

struct WorkloadOptions {
  bool namespace_ops = true;    // create, mkdir, unlink, rmdir, set_mtime
  bool renames = true;
  std::uint64_t max_offset = 192 * 1024;
  std::uint64_t max_write = 24 * 1024;
};

inline FileOp random_op(io::Prng& rng, const WorkloadOptions& options) {
  static const std::vector<std::string> files = {"f0", "f1", "f2", "f3", "d0/f0", "d0/f1", "d0/e0/f0", "d1/f0", "d1/f1"};
  static const std::vector<std::string> dirs = {"d0", "d1", "d2", "d0/e0", "d1/e1"};
  auto pick = [&](const std::vector<std::string>& names) { return names[rng.below(names.size())]; };
  const std::uint64_t roll = rng.below(100);
  FileOp op;
  if (!options.namespace_ops || roll < 60) {
    op.kind = OpKind::write;
    op.path = pick(files);
    const bool small = rng.chance(1, 3);
    op.offset = small ? rng.below(options.max_offset) : rng.below(options.max_offset / 4096) * 4096;
    const std::uint64_t size = small ? 1 + rng.below(300) : 1 + rng.below(options.max_write);
    io::Bytes data(size);
    for (auto& byte : data) byte = static_cast<std::uint8_t>(rng.next_u64());
    op.data = std::move(data);
    if (!options.namespace_ops && rng.chance(1, 10)) {
      op = FileOp{.kind = OpKind::truncate, .path = pick(files), .size_bytes = rng.below(options.max_offset)};
    }
    return op;
  }
  op.path = pick(files);
  if (roll < 68) return FileOp{.kind = OpKind::truncate, .path = op.path, .size_bytes = rng.below(options.max_offset)};
  if (roll < 78) return FileOp{.kind = OpKind::create, .path = op.path, .exclusive = rng.chance(1, 2)};
  if (roll < 83) return FileOp{.kind = OpKind::mkdir, .path = pick(dirs)};
  if (roll < 88) return FileOp{.kind = OpKind::unlink, .path = op.path};
  if (roll < 91) return FileOp{.kind = OpKind::rmdir, .path = pick(dirs)};
  if (roll < 93) return FileOp{.kind = OpKind::set_mtime, .path = op.path, .mtime_ns = 1'000'000'000};
  if (roll < 96 || !options.renames) return FileOp{.kind = OpKind::fsync, .path = op.path};
  const bool directory = rng.chance(1, 3);
  return FileOp{.kind = OpKind::rename, .path = directory ? pick(dirs) : op.path, .target = directory ? pick(dirs) : pick(files)};
}

// The bytes a write covers, rounded out to whole blocks.
inline std::uint64_t rounded_bytes(const FileOp& op, std::uint64_t block_bytes) {
  if (op.kind != OpKind::write || op.data.empty()) return 0;
  const std::uint64_t first = op.offset / block_bytes;
  const std::uint64_t end = (op.offset + op.data.size() + block_bytes - 1) / block_bytes;
  return (end - first) * block_bytes;
}

// fsyncs every file and directory of a disk, one call at a time; done once all are.
inline void sync_everything(io::FileSystem& fs, const fsim::MemFs& disk, std::function<void()> done) {
  struct Sync : std::enable_shared_from_this<Sync> {
    io::FileSystem& fs;
    std::vector<fsim::TreeEntry> entries;
    std::size_t next = 0;
    std::function<void()> done;
    Sync(io::FileSystem& fs_, std::vector<fsim::TreeEntry> entries_, std::function<void()> done_)
        : fs(fs_), entries(std::move(entries_)), done(std::move(done_)) {}
    void step() {
      if (next == entries.size()) return fs.fsync_dir("/", [self = shared_from_this()](io::Error) { self->done(); });
      const fsim::TreeEntry& entry = entries[next++];
      if (entry.kind == io::FileKind::directory) {
        return fs.fsync_dir(entry.path, [self = shared_from_this()](io::Error) { self->step(); });
      }
      fs.open(entry.path, io::OpenFlags{}, [self = shared_from_this()](io::Result<io::FileHandle> opened) {
        if (!opened) return self->step();
        const io::FileHandle file = *opened;
        self->fs.fsync(file, [self, file](io::Error) {
          self->fs.close(file, [self](io::Error) { self->step(); });
        });
      });
    }
  };
  std::make_shared<Sync>(fs, disk.tree(), std::move(done))->step();
}

class Harness {
 public:
  Harness(std::uint64_t seed, ActivityOptions options, WorkloadOptions workload = {})
      : rng_(seed), options_(options), workload_(workload),
        prim_(scheduler_, rng_.fork(), fsim::MemFsOptions{.trace_name = "prim"}),
        second_(scheduler_, rng_.fork(), fsim::MemFsOptions{.trace_name = "second"}), dirty_(options.block_bytes) {
    std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
    for (fsim::MemFs* disk : {&prim_, &second_}) {
      disk->install_directory("/data");
      disk->install_directory("/state");
    }
    // The same durable starting copy on both.
    io::Prng content(seed ^ 0x5eed);
    for (const std::string name : {"f0", "f1", "d0/f0", "d0/e0/f0", "d1/f1"}) {
      io::Bytes bytes(content.below(workload.max_offset));
      for (auto& byte : bytes) byte = static_cast<std::uint8_t>(content.next_u64());
      prim_.install_file("/data/" + name, bytes);
      second_.install_file("/data/" + name, bytes);
    }
  }

  sim::Scheduler& scheduler() { return scheduler_; }
  io::Prng& rng() { return rng_; }
  fsim::MemFs& prim() { return prim_; }
  fsim::MemFs& second() { return second_; }
  ActivityLog& log() { return *log_; }
  DirtyMap& dirty() { return dirty_; }
  std::vector<std::string>& log_lines() { return log_lines_; }
  std::uint64_t written_while_alone_rounded() const { return written_alone_rounded_; }
  std::uint64_t issued_through() const { return issued_through_; }
  const std::vector<FileOp>& issued_ops() const { return issued_ops_; }
  std::uint64_t retired_through() const { return retired_through_; }
  bool alone() const { return alone_; }

  // First start: no record yet; an empty one is written before any op.
  void start_primary(bool alone, std::size_t window) {
    alone_ = alone;
    window_ = window;
    open_primary();
    bool ready = false;
    log_->load(false, [&](LoadedActivity loaded) {
      EXPECT_EQ(loaded.state, RecordState::missing);
      log_->compact([&](io::Error e) {
        EXPECT_EQ(e, io::Error::ok);
        ready = true;
      });
    });
    ASSERT_TRUE(scheduler_.run_until([&] { return ready; }, scheduler_.now_ns() + io::kNsPerS));
    if (!alone) secondary_ = std::make_unique<OpApplier>(second_, std::vector<std::string>{"/data"});
  }

  // Submits `count` random ops, keeping up to the window in flight, checkpointing now
  // and then; stops early after `max_steps` scheduler events (a crash point).
  void run(std::size_t count, std::uint64_t max_steps = UINT64_MAX) {
    std::uint64_t steps = 0;
    while (steps < max_steps) {
      if (count > 0 && in_flight_ + admitting_ < window_ && !log_->full()) {
        submit(random_op(rng_, workload_));
        --count;
        continue;
      }
      if (rng_.chance(1, 16) || log_->full()) checkpoint();
      if (!scheduler_.step()) {
        if (count == 0 && in_flight_ == 0 && admitting_ == 0) return;
        ASSERT_FALSE(log_->full()) << "writers held back with nothing left to retire them";
      }
      ++steps;
    }
  }

  // Runs events until every op is applied (and every checkpoint finished).
  void drain() {
    ASSERT_TRUE(scheduler_.run_until([&] { return in_flight_ == 0 && admitting_ == 0 && !checkpointing_; },
                                     scheduler_.now_ns() + 60 * io::kNsPerS));
    scheduler_.run_for(io::kNsPerMs);
  }

  // The link breaks (the secondary stays up and keeps what it got): what the log
  // holds as not yet durable on both joins the dirty map, and every later op is
  // marked there.
  void go_alone(bool secondary_crashed) {
    alone_ = true;
    if (secondary_crashed) {
      second_.crash();
      secondary_.reset();
    } else {
      detached_secondary_ = std::move(secondary_);  // keeps applying what it received
    }
    // A checkpoint in progress can no longer vouch for the secondary.
    ++checkpoint_generation_;
    checkpointing_ = false;
    // The merged marks hold every op issued so far (in flight ones included): the
    // first flush may retire through the last of them.
    dirty_.merge(log_->uncertain());
    marked_through_ = std::max(marked_through_, issued_through_);
  }

  // Power cut on the primary: its objects go, its disk keeps what it keeps.
  void crash_primary() {
    prim_.crash();
    ++generation_;
    log_.reset();
    applier_.reset();
    record_.reset();
    in_flight_ = 0;
    admitting_ = 0;
    checkpointing_ = false;
  }

  // The restarted primary's view of what may differ: its activity log's entries and,
  // if it ever flushed one, its dirty record.
  DirtyMap restart_primary() {
    open_primary();
    DirtyMap recovered(options_.block_bytes);
    int loads = 0;
    log_->load(true, [&](LoadedActivity loaded) {
      EXPECT_NE(loaded.state, RecordState::damaged);
      recovered.merge(loaded.dirty);
      ++loads;
    });
    record_->load(dirty_saved_, [&](LoadedDirtyMap loaded) {
      EXPECT_NE(loaded.state, RecordState::damaged);
      recovered.merge(loaded.map);
      ++loads;
    });
    EXPECT_TRUE(scheduler_.run_until([&] { return loads == 2; }, scheduler_.now_ns() + io::kNsPerS));
    return recovered;
  }

  // The plan for `dirty` against `sender`'s copy.
  ResyncPlan plan(fsim::MemFs& sender, const DirtyMap& dirty) {
    std::optional<io::Result<ResyncPlan>> result;
    plan_resync(sender, {"/data"}, dirty, [&](io::Result<ResyncPlan> plan) { result = std::move(plan); });
    EXPECT_FALSE(result.has_value()) << "plan_resync completed inside the call";
    EXPECT_TRUE(scheduler_.run_until([&] { return result.has_value(); }, scheduler_.now_ns() + 10 * io::kNsPerS));
    EXPECT_TRUE(result->ok());
    return std::move(*result).value();
  }

 private:
  void open_primary() {
    applier_ = std::make_unique<OpApplier>(prim_, std::vector<std::string>{"/data"});
    auto log_line = [this](std::string_view line) { log_lines_.emplace_back(line); };
    log_ = std::make_unique<ActivityLog>(prim_, kActivityPath, options_, log_line);
    record_ = std::make_unique<DirtyRecord>(prim_, kDirtyPath, log_line);
  }

  void submit(FileOp op) {
    const std::uint64_t sequence = next_sequence_++;
    const std::uint64_t generation = generation_;
    auto go = [this, sequence, op, generation](io::Error result) {
      ASSERT_EQ(generation, generation_);
      ASSERT_EQ(result, io::Error::ok);
      --admitting_;
      issue(sequence, op);
    };
    const Admit admit = log_->before_write(sequence, op, go);
    ASSERT_NE(admit.what, Admission::refused) << io::error_name(admit.error);
    if (admit.what == Admission::proceed_now) return issue(sequence, std::move(op));
    ++admitting_;
  }

  void issue(std::uint64_t sequence, FileOp op) {
    ASSERT_EQ(sequence, issued_through_ + 1) << "ops must be issued in sequence order";
    issued_through_ = sequence;
    issued_ops_.push_back(op);
    ++in_flight_;
    if (alone_) written_alone_rounded_ += rounded_bytes(op, options_.block_bytes);
    if (secondary_ && !alone_) {
      ASSERT_EQ(secondary_->apply(op, [this, sequence](io::Error) { secondary_through_ = sequence; }), io::Error::ok);
    }
    const std::uint64_t generation = generation_;
    FileOp kept = op;
    ASSERT_EQ(applier_->apply(std::move(op), [this, sequence, kept = std::move(kept), generation](io::Error result) {
      if (generation != generation_) return;
      --in_flight_;
      local_through_ = sequence;
      if (alone_) {
        dirty_.mark(kept, result);
        marked_through_ = std::max(marked_through_, sequence);
      }
    }), io::Error::ok);
  }

  void checkpoint() {
    if (checkpointing_ || !log_) return;
    const std::uint64_t generation = generation_;
    if (alone_) {
      if (marked_through_ <= retired_through_) return;
      checkpointing_ = true;
      const std::uint64_t through = marked_through_;
      dirty_saved_ = true;
      const io::Error saved = record_->save(dirty_, through, [this, through, generation](io::Error result) {
        if (generation != generation_) return;
        EXPECT_EQ(result, io::Error::ok);
        checkpointing_ = false;
        retired_through_ = through;
        log_->retire_through(through);
      });
      ASSERT_EQ(saved, io::Error::ok);
      return;
    }
    const std::uint64_t through = std::min(local_through_, secondary_through_);
    if (through <= retired_through_) return;
    checkpointing_ = true;
    const std::uint64_t checkpoint_generation = checkpoint_generation_;
    auto current = [this, generation, checkpoint_generation] {
      return generation == generation_ && checkpoint_generation == checkpoint_generation_;
    };
    // Both copies durable for every op up to `through`: sync both disks entirely.
    sync_everything(prim_, prim_, [this, through, current] {
      if (!current()) return;
      sync_everything(second_, second_, [this, through, current] {
        if (!current()) return;
        checkpointing_ = false;
        retired_through_ = through;
        log_->retire_through(through);
      });
    });
  }

  sim::Trace trace_;
  sim::Scheduler scheduler_{trace_};
  io::Prng rng_;
  ActivityOptions options_;
  WorkloadOptions workload_;
  fsim::MemFs prim_;
  fsim::MemFs second_;
  std::unique_ptr<OpApplier> applier_;
  std::unique_ptr<OpApplier> secondary_;
  std::unique_ptr<OpApplier> detached_secondary_;
  std::unique_ptr<ActivityLog> log_;
  std::unique_ptr<DirtyRecord> record_;
  DirtyMap dirty_;
  std::vector<std::string> log_lines_;
  std::vector<FileOp> issued_ops_;
  bool alone_ = false;
  bool dirty_saved_ = false;
  bool checkpointing_ = false;
  std::size_t window_ = 1;
  std::size_t in_flight_ = 0;
  std::size_t admitting_ = 0;
  std::uint64_t generation_ = 0;             // bumped by a primary crash
  std::uint64_t checkpoint_generation_ = 0;  // bumped when the secondary goes away
  std::uint64_t next_sequence_ = 1;
  std::uint64_t issued_through_ = 0;
  std::uint64_t local_through_ = 0;
  std::uint64_t secondary_through_ = 0;
  std::uint64_t marked_through_ = 0;
  std::uint64_t retired_through_ = 0;
  std::uint64_t written_alone_rounded_ = 0;
};

}  // namespace hamirror::core::testing
