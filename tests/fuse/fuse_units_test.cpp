// The FUSE frontend's pure parts: the errno table, write splitting, the inode table.
#include <gtest/gtest.h>

#include <cerrno>

#include "fuse/attribute_ops.h"
#include "fuse/errno_map.h"
#include "fuse/inode_table.h"
#include "fuse/write_split.h"

namespace hamirror::fuse {
namespace {

TEST(ErrnoMap, every_error_is_a_nonzero_errno_and_ok_is_zero) {
  EXPECT_EQ(errno_from_error(io::Error::ok), 0);
  for (int value = 1; value <= static_cast<int>(io::Error::unknown); ++value) {
    EXPECT_GT(errno_from_error(static_cast<io::Error>(value)), 0) << io::error_name(static_cast<io::Error>(value));
  }
}

TEST(ErrnoMap, disk_errors_keep_their_meaning_and_a_lost_peer_is_an_io_error) {
  EXPECT_EQ(errno_from_error(io::Error::no_space), ENOSPC);
  EXPECT_EQ(errno_from_error(io::Error::io_error), EIO);
  EXPECT_EQ(errno_from_error(io::Error::read_only), EROFS);
  EXPECT_EQ(errno_from_error(io::Error::too_large), EFBIG);
  EXPECT_EQ(errno_from_error(io::Error::connection_reset), EIO);
  EXPECT_EQ(errno_from_error(io::Error::timed_out), EIO);
  EXPECT_EQ(errno_from_error(io::Error::cancelled), EIO);
}

// chmod 0444 and a truncate in one setattr: the truncate first, or a daemon that is
// not root (or on Windows) could no longer open the file to cut it.
TEST(AttributeOps, the_size_changes_before_the_mode_and_the_mtime_after_the_size) {
  const auto ops = attribute_ops(2, "d/f", {.size_bytes = 10, .mtime_ns = 77, .mode = 0444});
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0], (core::FileOp{.kind = core::OpKind::truncate, .directory = 2, .path = "d/f", .size_bytes = 10}));
  EXPECT_EQ(ops[1], (core::FileOp{.kind = core::OpKind::set_mtime, .directory = 2, .path = "d/f", .mtime_ns = 77}));
  EXPECT_EQ(ops[2], (core::FileOp{.kind = core::OpKind::set_mode, .directory = 2, .path = "d/f", .mode = 0444}));
  EXPECT_TRUE(attribute_ops(0, "f", {}).empty());
  EXPECT_EQ(attribute_ops(0, "f", {.mode = 0}).size(), 1u) << "0000 is a mode too";
}

TEST(WriteSplit, a_write_larger_than_one_op_is_split_into_consecutive_ops_of_at_most_the_limit) {
  const std::size_t size = 2 * core::kMaxWriteOpBytes + 5;
  std::string data(size, 'x');
  data[core::kMaxWriteOpBytes] = 'y';
  const auto ops = split_write(3, "dir/f", 100, data.data(), data.size());
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0].offset, 100u);
  EXPECT_EQ(ops[1].offset, 100u + core::kMaxWriteOpBytes);
  EXPECT_EQ(ops[2].offset, 100u + 2 * core::kMaxWriteOpBytes);
  EXPECT_EQ(ops[0].data.size(), core::kMaxWriteOpBytes);
  EXPECT_EQ(ops[2].data.size(), 5u);
  EXPECT_EQ(ops[1].data.view().front(), 'y');
  for (const auto& op : ops) {
    EXPECT_EQ(op.directory, 3u);
    EXPECT_EQ(op.path, "dir/f");
    EXPECT_EQ(core::validate(op, 4), io::Error::ok);
  }
  EXPECT_TRUE(split_write(0, "f", 0, data.data(), 0).empty());
}

TEST(InodeTable, a_renamed_directory_takes_its_descendants_and_keeps_their_inodes) {
  InodeTable table;
  const Inode dir = table.remember("a");
  const Inode file = table.remember("a/b/c.txt");
  const Inode sibling = table.remember("ab");
  table.moved("a", "z");
  EXPECT_EQ(table.path_of(dir), "z");
  EXPECT_EQ(table.path_of(file), "z/b/c.txt");
  EXPECT_EQ(table.path_of(sibling), "ab") << "a name that merely starts alike does not move";
  EXPECT_EQ(table.inode_at("z/b/c.txt"), file);
  EXPECT_FALSE(table.inode_at("a/b/c.txt"));
}

TEST(InodeTable, a_hidden_open_file_is_handed_back_for_removal_at_its_last_release_only) {
  InodeTable table;
  const Inode file = table.remember("f");
  table.opened(file);
  table.opened(file);
  table.hidden(file, ".hamirror-unlinked/2");
  EXPECT_FALSE(table.inode_at("f"));
  EXPECT_EQ(table.path_of(file), ".hamirror-unlinked/2");
  EXPECT_FALSE(table.released(file));
  EXPECT_EQ(table.released(file), ".hamirror-unlinked/2");
  EXPECT_FALSE(table.path_of(file)) << "removed";
}

TEST(InodeTable, an_entry_goes_once_the_kernel_forgot_it_and_it_is_closed) {
  InodeTable table;
  const Inode file = table.remember("f");
  EXPECT_EQ(table.remember("f"), file);
  table.opened(file);
  table.forget(file, 2);
  EXPECT_EQ(table.path_of(file), "f") << "still open";
  table.released(file);
  EXPECT_FALSE(table.path_of(file));
  EXPECT_NE(table.remember("f"), file) << "numbers are never reused";
}

TEST(InodeTable, a_rename_onto_itself_changes_nothing) {
  InodeTable table;
  const Inode file = table.remember("f");
  table.moved("f", "f");
  EXPECT_EQ(table.path_of(file), "f");
  EXPECT_EQ(table.inode_at("f"), file);
}

TEST(InodeTable, a_replaced_target_is_removed) {
  InodeTable table;
  const Inode from = table.remember("from");
  const Inode to = table.remember("to");
  table.moved("from", "to");
  EXPECT_EQ(table.path_of(from), "to");
  EXPECT_FALSE(table.path_of(to));
}

}  // namespace
}  // namespace hamirror::fuse
