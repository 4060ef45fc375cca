#include "fsim/inode_table.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "fsim/path.h"
#include "io/random.h"

namespace hamirror::fsim {
namespace {

UnsyncedChange truncate_to(std::uint64_t size) { return UnsyncedChange{UnsyncedChange::Kind::truncate, 0, {}, size}; }

std::vector<std::uint64_t> sizes(const UnsyncedChanges& changes) {
  std::vector<std::uint64_t> out;
  for (const UnsyncedChange& change : changes.all()) out.push_back(change.size_bytes);
  return out;
}

TEST(UnsyncedChanges, keeps_changes_oldest_first_across_pops) {
  UnsyncedChanges changes;
  EXPECT_TRUE(changes.empty());
  for (std::uint64_t i = 1; i <= 4; ++i) changes.push_back(truncate_to(i));
  changes.pop_front();
  EXPECT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes.front().size_bytes, 2u);
  EXPECT_EQ(changes[2].size_bytes, 4u);
  EXPECT_EQ(sizes(changes), (std::vector<std::uint64_t>{2, 3, 4}));
  changes.clear();
  EXPECT_TRUE(changes.empty());
  EXPECT_TRUE(changes.all().empty());
}

TEST(UnsyncedChanges, behaves_as_a_deque_under_a_random_mix_of_pushes_and_pops) {
  UnsyncedChanges changes;
  std::deque<std::uint64_t> model;
  io::Prng random(7);
  for (std::uint64_t step = 0; step < 20'000; ++step) {
    if (model.empty() || random.below(4) != 0) {
      changes.push_back(truncate_to(step));
      model.push_back(step);
    } else {
      ASSERT_EQ(changes.front().size_bytes, model.front());
      changes.pop_front();
      model.pop_front();
    }
    ASSERT_EQ(changes.size(), model.size());
  }
  EXPECT_EQ(sizes(changes), std::vector<std::uint64_t>(model.begin(), model.end()));
}

TEST(UnsyncedChanges, a_popped_change_releases_its_bytes) {
  UnsyncedChanges changes;
  FileData data;
  data.write_shared(0, io::SharedBytes::copy_of(io::Bytes(100, 7)));
  changes.push_back(UnsyncedChange{UnsyncedChange::Kind::write, 0, data.extent(0, 100), 0});
  changes.push_back(truncate_to(0));
  EXPECT_EQ(changes.front().bytes.size(), 100u);
  changes.pop_front();
  EXPECT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes.front().kind, UnsyncedChange::Kind::truncate);
}

ParsedPath parsed(const std::string& text) { return parse_path(text).value(); }

TEST(InodeTable, looks_up_names_through_the_current_or_the_durable_entries) {
  InodeTable table(0);
  const InodeId dir = table.create(io::FileKind::directory, 0, kDirectoryMode);
  const InodeId file = table.create(io::FileKind::regular, 0, kFileMode);
  table.link(InodeTable::kRootId, "d", dir);
  table.link(dir, "f", file);
  const std::string path = "/d/f";
  EXPECT_EQ(table.lookup(parsed(path), View::current).value(), file);
  EXPECT_EQ(table.lookup_parent(parsed(path)).value(), dir);
  EXPECT_EQ(table.lookup(parsed(path), 1, View::current).value(), dir);
  EXPECT_EQ(table.lookup(parsed(path), View::durable).error(), io::Error::not_found);  // nothing synced yet
  table.sync_entries(InodeTable::kRootId);
  table.sync_entries(dir);
  EXPECT_EQ(table.lookup(parsed(path), View::durable).value(), file);
  EXPECT_EQ(table.lookup(parsed("/d/f/x"), View::current).error(), io::Error::not_directory);
  EXPECT_EQ(table.lookup_parent(parsed("/d/f/x")).error(), io::Error::not_directory);
}

TEST(InodeTable, frees_an_inode_nothing_refers_to_and_never_reuses_its_id) {
  InodeTable table(0);
  const InodeId first = table.create(io::FileKind::regular, 0, kFileMode);
  table.link(InodeTable::kRootId, "a", first);
  EXPECT_EQ(table.size(), 2u);  // the root and the file
  table.add_handle(first);
  table.unlink(InodeTable::kRootId, "a");
  EXPECT_TRUE(table.contains(first));  // open: still alive
  table.drop_handle(first);
  EXPECT_FALSE(table.contains(first));
  EXPECT_EQ(table.size(), 1u);
  const InodeId second = table.create(io::FileKind::regular, 0, kFileMode);
  EXPECT_GT(second, first);
  EXPECT_FALSE(table.contains(second + 1));
  EXPECT_FALSE(table.contains(0));
}

TEST(InodeTable, a_durable_name_keeps_its_inode_until_the_directory_is_synced) {
  InodeTable table(0);
  const InodeId file = table.create(io::FileKind::regular, 0, kFileMode);
  table.link(InodeTable::kRootId, "a", file);
  table.sync_entries(InodeTable::kRootId);
  table.unlink(InodeTable::kRootId, "a");
  EXPECT_TRUE(table.contains(file));  // a power cut now would bring it back
  table.sync_entries(InodeTable::kRootId);
  EXPECT_FALSE(table.contains(file));
}

TEST(InodeTable, rebuild_keeps_what_durable_names_reach_under_the_same_ids) {
  InodeTable table(0);
  const InodeId dir = table.create(io::FileKind::directory, 0, kDirectoryMode);
  const InodeId kept = table.create(io::FileKind::regular, 0, kFileMode);
  const InodeId lost = table.create(io::FileKind::regular, 0, kFileMode);
  table.link(InodeTable::kRootId, "d", dir);
  table.link(dir, "kept", kept);
  table.sync_entries(InodeTable::kRootId);
  table.sync_entries(dir);
  table.link(dir, "lost", lost);  // never synced
  table.add_handle(kept);
  std::vector<std::string> settled;
  table.rebuild_from_durable([&](const std::string& path, Inode& inode) {
    settled.push_back(path);
    inode.data = inode.durable_data;
  });
  EXPECT_EQ(settled, (std::vector<std::string>{"/d/kept"}));
  EXPECT_EQ(table.size(), 3u);
  EXPECT_TRUE(table.contains(dir));
  EXPECT_TRUE(table.contains(kept));
  EXPECT_FALSE(table.contains(lost));
  EXPECT_EQ(table.lookup(parsed("/d/kept"), View::current).value(), kept);
  EXPECT_EQ(table.lookup(parsed("/d/lost"), View::current).error(), io::Error::not_found);
  EXPECT_EQ(table.at(kept).open_handles, 0u);  // handles are gone after a power cut
  EXPECT_EQ(table.at(kept).links, 1u);
  EXPECT_EQ(table.at(kept).durable_links, 1u);
  // New inodes still get new ids after the rebuild.
  EXPECT_GT(table.create(io::FileKind::regular, 0, kFileMode), lost);
}

}  // namespace
}  // namespace hamirror::fsim
