// A simulated disk for the OpApplier tests: MemFs (crashes like a real disk), with a
// fault layer and a count of directory flushes on top, and /data ready as the
// replicated directory. Tests that need neither layer use `fs` directly.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/replication/op_applier.h"
#include "fsim/faulty_fs.h"
#include "fsim/fs_wrapper.h"
#include "fsim/mem_fs.h"
#include "sim/scheduler.h"
#include "test_file_ops.h"

namespace hamirror::core::test {

class CountedDirSyncs final : public fsim::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  void fsync_dir(const std::string& path, DoneFn done) override {
    ++count;
    FileSystemWrapper::fsync_dir(path, std::move(done));
  }
  int count = 0;
};

struct ApplierDisk {
  sim::Trace trace;
  sim::Scheduler scheduler{trace};
  fsim::MemFs fs{scheduler, io::Prng(1)};
  fsim::FaultyFs faulty{fs, scheduler, io::Prng(2)};
  CountedDirSyncs counted{faulty};

  ApplierDisk() { fs.install_directory("/data"); }

  // Applies ops in order and runs the disk until all are done; their results.
  std::vector<io::Error> apply(OpApplier& applier, const std::vector<FileOp>& ops) {
    std::vector<io::Error> results;
    for (const FileOp& op : ops) EXPECT_EQ(applier.apply(op, [&results](io::Error e) { results.push_back(e); }), io::Error::ok);
    scheduler.run_until([&] { return results.size() == ops.size(); }, scheduler.now_ns() + 10 * io::kNsPerS);
    EXPECT_EQ(results.size(), ops.size());
    return results;
  }
  // Completions as they ran, by the names noted() gave them.
  std::vector<std::string> order;
  // A completion that must succeed, noted in `order` as `name`.
  OpApplier::DoneFn noted(std::string name) {
    return [this, name = std::move(name)](io::Error e) {
      EXPECT_EQ(e, io::Error::ok) << name;
      order.push_back(name);
    };
  }
  std::string contents(const std::string& path) {
    const auto bytes = fs.contents(path);
    return bytes ? std::string(bytes->begin(), bytes->end()) : "<missing>";
  }
};

}  // namespace hamirror::core::test
