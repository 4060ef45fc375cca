// The set_mode op: permission bits only, refused on the wire when out of range, and
// applied to files and directories alike.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/replication/op_applier.h"
#include "core/replication/replication_messages.h"
#include "fsim/mem_fs.h"
#include "sim/scheduler.h"

namespace hamirror::core {
namespace {

FileOp set_mode(const std::string& path, std::uint32_t mode) {
  return FileOp{.kind = OpKind::set_mode, .path = path, .mode = mode};
}

wire::Decoded<ReplicateOp> round_trip(const ReplicateOp& op) { return wire::decode_body<ReplicateOp>(wire::encode_body(op)); }

TEST(SetModeOp, is_valid_with_permission_bits_only_and_only_on_kinds_that_carry_a_mode) {
  EXPECT_EQ(validate(set_mode("f", 0750), 1), io::Error::ok);
  EXPECT_EQ(validate(set_mode("f", 07777), 1), io::Error::ok);
  EXPECT_EQ(validate(set_mode("f", 0100644), 1), io::Error::invalid_argument) << "a file type bit";
  EXPECT_EQ(validate(FileOp{.kind = OpKind::truncate, .path = "f", .mode = 0644}, 1), io::Error::invalid_argument);
  EXPECT_EQ(validate(FileOp{.kind = OpKind::rename, .path = "f", .target = "g", .mode = 0644}, 1), io::Error::invalid_argument);
  EXPECT_EQ(describe(set_mode("d/f", 0750)), "set_mode 0:d/f to 0750");
}

TEST(SetModeOp, travels_the_wire_with_its_mode) {
  const ReplicateOp sent = ReplicateOp::from(7, set_mode("d/f", 04755));
  auto decoded = round_trip(sent);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(std::move(decoded).value().to_op(), set_mode("d/f", 04755));
}

TEST(SetModeOp, decoding_refuses_a_mode_outside_the_permission_bits_or_on_another_kind) {
  ReplicateOp typed = ReplicateOp::from(1, set_mode("f", 0644));
  typed.mode = 0100644;
  EXPECT_EQ(round_trip(typed).error(), "replicate_op: mode 33188 has bits outside the permission bits 07777");
  ReplicateOp huge = ReplicateOp::from(1, set_mode("f", 0644));
  huge.mode = UINT32_MAX;
  EXPECT_FALSE(round_trip(huge).ok());
  ReplicateOp on_write = ReplicateOp::from(1, FileOp{.kind = OpKind::write, .path = "f"});
  on_write.mode = 0644;
  EXPECT_EQ(round_trip(on_write).error(), "replicate_op: mode set on a write op");
  ReplicateOp unknown = ReplicateOp::from(1, set_mode("f", 0644));
  unknown.kind = static_cast<OpKind>(static_cast<int>(OpKind::set_mode) + 1);
  EXPECT_EQ(round_trip(unknown).error(), "replicate_op: unknown op kind 10");
}

struct Disk {
  sim::Trace trace;
  sim::Scheduler scheduler{trace};
  fsim::MemFs fs{scheduler, io::Prng(1)};

  io::Result<io::FileStat> stat(const std::string& path) {
    std::optional<io::Result<io::FileStat>> result;
    fs.stat(path, [&](io::Result<io::FileStat> st) { result = st; });
    scheduler.run_until([&] { return result.has_value(); }, scheduler.now_ns() + io::kNsPerS);
    return result.value_or(io::Error::timed_out);
  }
};

TEST(SetModeOp, the_applier_sets_the_mode_of_a_file_and_of_a_directory) {
  Disk disk;
  disk.fs.install_directory("/data/dir");
  disk.fs.install_file("/data/dir/f", io::as_bytes("x"));
  OpApplier applier(disk.fs, {"/data"});
  std::vector<io::Error> results;
  for (const FileOp& op : {set_mode("dir/f", 0750), set_mode("dir", 0700), set_mode("missing", 0600)}) {
    ASSERT_EQ(applier.apply(op, [&](io::Error e) { results.push_back(e); }), io::Error::ok);
  }
  disk.scheduler.run_until([&] { return results.size() == 3; }, disk.scheduler.now_ns() + io::kNsPerS);
  EXPECT_EQ(results, (std::vector<io::Error>{io::Error::ok, io::Error::ok, io::Error::not_found}));
  EXPECT_EQ(disk.stat("/data/dir/f")->mode, 0750u);
  EXPECT_EQ(disk.stat("/data/dir")->mode, 0700u);
  EXPECT_EQ(applier.apply(set_mode("dir/f", 010000), [](io::Error) {}), io::Error::invalid_argument);
}

}  // namespace
}  // namespace hamirror::core
