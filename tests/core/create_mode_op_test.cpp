// create and mkdir with the mode the application asked for: valid and on the wire
// within the permission bits, and applied so that only an entry the op makes gets it
// (one already there keeps its own, as with open(O_CREAT) and mkdir(2)). Mode 0 means
// "not given": the backing's default, exactly as before modes travelled with them.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/replication/op_applier.h"
#include "core/replication/replication_messages.h"
#include "fsim/mem_fs.h"
#include "sim/scheduler.h"

namespace hamirror::core {
namespace {

FileOp create(const std::string& path, std::uint32_t mode, bool exclusive = false) {
  return FileOp{.kind = OpKind::create, .path = path, .exclusive = exclusive, .mode = mode};
}
FileOp mkdir(const std::string& path, std::uint32_t mode) { return FileOp{.kind = OpKind::mkdir, .path = path, .mode = mode}; }

wire::Decoded<ReplicateOp> round_trip(const ReplicateOp& op) { return wire::decode_body<ReplicateOp>(wire::encode_body(op)); }

TEST(CreateModeOp, create_and_mkdir_are_valid_with_permission_bits_and_say_so_only_when_given) {
  EXPECT_EQ(validate(create("key.pem", 0600), 1), io::Error::ok);
  EXPECT_EQ(validate(mkdir("private", 0700), 1), io::Error::ok);
  EXPECT_EQ(validate(mkdir("tmp", 01777), 1), io::Error::ok);
  EXPECT_EQ(validate(create("f", 0100600), 1), io::Error::invalid_argument) << "a file type bit";
  EXPECT_EQ(validate(mkdir("d", 040700), 1), io::Error::invalid_argument) << "a directory type bit";
  EXPECT_EQ(describe(create("key.pem", 0600, true)), "create 0:key.pem (exclusive) mode 0600");
  EXPECT_EQ(describe(mkdir("private", 0700)), "mkdir 0:private mode 0700");
  EXPECT_EQ(describe(create("f", 0)), "create 0:f") << "an op without a mode reads as before";
  EXPECT_EQ(describe(mkdir("d", 0)), "mkdir 0:d");
}

TEST(CreateModeOp, create_and_mkdir_travel_the_wire_with_their_mode) {
  for (const FileOp& op : {create("a/key.pem", 0600, true), mkdir("a/private", 02750), create("plain", 0)}) {
    auto decoded = round_trip(ReplicateOp::from(3, op));
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(std::move(decoded).value().to_op(), op) << describe(op);
  }
}

TEST(CreateModeOp, decoding_refuses_a_create_or_mkdir_mode_outside_the_permission_bits) {
  ReplicateOp typed = ReplicateOp::from(1, create("f", 0600));
  typed.mode = 0100600;
  EXPECT_EQ(round_trip(typed).error(), "replicate_op: mode 33152 has bits outside the permission bits 07777");
  ReplicateOp directory = ReplicateOp::from(1, mkdir("d", 0700));
  directory.mode = 010000;
  EXPECT_EQ(round_trip(directory).error(), "replicate_op: mode 4096 has bits outside the permission bits 07777");
  ReplicateOp on_unlink = ReplicateOp::from(1, FileOp{.kind = OpKind::unlink, .path = "f"});
  on_unlink.mode = 0600;
  EXPECT_EQ(round_trip(on_unlink).error(), "replicate_op: mode set on a unlink op");
}

struct Disk {
  sim::Trace trace;
  sim::Scheduler scheduler{trace};
  fsim::MemFs fs{scheduler, io::Prng(1)};
  OpApplier applier{fs, {"/data"}};

  Disk() { fs.install_directory("/data"); }

  std::vector<io::Error> apply_all(const std::vector<FileOp>& ops) {
    std::vector<io::Error> results;
    for (const FileOp& op : ops) EXPECT_EQ(applier.apply(op, [&](io::Error e) { results.push_back(e); }), io::Error::ok);
    scheduler.run_until([&] { return results.size() == ops.size(); }, scheduler.now_ns() + io::kNsPerS);
    return results;
  }
  std::uint32_t mode(const std::string& path) {
    std::optional<io::Result<io::FileStat>> result;
    fs.stat(path, [&](io::Result<io::FileStat> st) { result = st; });
    scheduler.run_until([&] { return result.has_value(); }, scheduler.now_ns() + io::kNsPerS);
    EXPECT_TRUE(result && result->ok()) << path;
    return result && result->ok() ? (*result)->mode : 0;
  }
};

TEST(CreateModeOp, the_applier_gives_a_new_file_and_a_new_directory_the_mode_asked_for) {
  Disk disk;
  const auto results = disk.apply_all({mkdir("private", 0700), create("private/key.pem", 0600),
                                       create("private/lock", 0, true), mkdir("shared", 0), create("setuid", 04750, true)});
  EXPECT_EQ(results, std::vector<io::Error>(5, io::Error::ok));
  EXPECT_EQ(disk.mode("/data/private"), 0700u);
  EXPECT_EQ(disk.mode("/data/private/key.pem"), 0600u);
  EXPECT_EQ(disk.mode("/data/setuid"), 04750u);
  EXPECT_EQ(disk.mode("/data/private/lock"), fsim::kFileMode) << "no mode given: the backing's default";
  EXPECT_EQ(disk.mode("/data/shared"), fsim::kDirectoryMode);
}

TEST(CreateModeOp, an_entry_already_there_keeps_its_own_mode) {
  Disk disk;
  disk.fs.install_file("/data/existing", io::as_bytes("kept"));
  disk.fs.install_directory("/data/dir");
  const auto results = disk.apply_all({create("existing", 0600), create("existing", 0600, true), mkdir("dir", 0700)});
  EXPECT_EQ(results, (std::vector<io::Error>{io::Error::ok, io::Error::already_exists, io::Error::already_exists}))
      << "a plain create opens the file there, as open(O_CREAT) does";
  EXPECT_EQ(disk.mode("/data/existing"), fsim::kFileMode);
  EXPECT_EQ(disk.mode("/data/dir"), fsim::kDirectoryMode);
  EXPECT_EQ(disk.fs.contents("/data/existing"), (io::Bytes{'k', 'e', 'p', 't'}));
}

TEST(CreateModeOp, a_directory_made_with_a_mode_is_synced_itself_at_the_next_checkpoint) {
  Disk disk;
  disk.apply_all({mkdir("plain", 0)});
  EXPECT_EQ(disk.applier.changed_names(), 1u) << "its parent's entries";
  disk.apply_all({mkdir("private", 0700)});
  EXPECT_EQ(disk.applier.changed_names(), 2u) << "and the new directory's own mode";
}

}  // namespace
}  // namespace hamirror::core
