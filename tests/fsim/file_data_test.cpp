// FileData, the simulated file's bytes as shared pieces: it must behave exactly as a
// byte vector, holes and piece boundaries included, without copying written bytes.
#include <gtest/gtest.h>

#include <algorithm>

#include "fsim/file_data.h"
#include "io/random.h"

namespace hamirror::fsim {
namespace {

// The size the page model used: the cases below still cross such boundaries.
constexpr std::uint64_t kPage = 16 * 1024;

io::Bytes filled(std::size_t size, std::uint8_t value) { return io::Bytes(size, value); }

TEST(FileData, a_write_past_the_end_reads_back_with_zeros_in_the_gap) {
  FileData data;
  data.write(3 * kPage + 10, filled(5, 0xAB));
  ASSERT_EQ(data.size(), 3 * kPage + 15);
  io::Bytes expected(3 * kPage + 15, 0);
  std::fill(expected.begin() + 3 * kPage + 10, expected.end(), 0xAB);
  EXPECT_EQ(data.bytes(), expected);
}

TEST(FileData, a_truncate_down_then_up_reads_zeros_where_the_old_bytes_were) {
  FileData data(filled(2 * kPage, 0xFF));
  data.resize(kPage + 7);
  data.resize(3 * kPage);
  io::Bytes expected(3 * kPage, 0);
  std::fill(expected.begin(), expected.begin() + kPage + 7, 0xFF);
  EXPECT_EQ(data.bytes(), expected);
}

TEST(FileData, a_hole_equals_a_page_of_written_zeros_and_copies_stay_independent) {
  FileData sparse;
  sparse.resize(2 * kPage);
  FileData dense(filled(2 * kPage, 0));
  EXPECT_EQ(sparse, dense);
  FileData copy = dense;
  copy.write(kPage, filled(1, 1));
  EXPECT_NE(copy, dense);
  EXPECT_EQ(dense, sparse);
  // A truncate clears the tail of its last page: on a copy, never on the original.
  FileData shrunk = copy;
  shrunk.resize(kPage + 1);
  EXPECT_EQ(copy.size(), 2 * kPage);
  EXPECT_EQ(copy.bytes()[kPage], 1);
  FileData longer = sparse;
  longer.resize(2 * kPage + 1);
  EXPECT_NE(longer, sparse);
}

TEST(FileData, an_extent_keeps_the_bytes_it_was_taken_with_and_applies_them_whole_or_torn) {
  FileData data;
  data.write(kPage - 3, filled(6, 0x11));
  const FileData::Extent extent = data.extent(kPage - 3, 6);
  data.write(kPage - 4, filled(8, 0x22));  // over both pages the extent shares

  FileData whole;
  whole.write(extent, extent.size());
  io::Bytes expected(kPage + 3, 0);
  std::fill(expected.begin() + kPage - 3, expected.end(), 0x11);
  EXPECT_EQ(whole.bytes(), expected);

  FileData torn;
  torn.write(extent, 4);
  expected.resize(kPage + 1);
  EXPECT_EQ(torn.bytes(), expected);
}

io::SharedBytes numbered(std::size_t size, std::uint8_t first) {
  io::Bytes bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(first + i * 7);
  return io::SharedBytes(std::move(bytes));
}

TEST(FileData, a_write_over_the_middle_of_a_shared_piece_slices_it_without_copying) {
  const io::SharedBytes a = numbered(64 * 1024, 1);
  const io::SharedBytes b = numbered(10 * 1024, 2);
  FileData data;
  data.write_shared(0, a);
  data.write_shared(10 * 1024, b);
  ASSERT_EQ(data.piece_count(), 3u);
  // The pieces are the written buffers themselves, at the positions they came from.
  EXPECT_EQ(data.pieces()[0].bytes.data(), a.data());
  EXPECT_EQ(data.pieces()[0].bytes.size(), 10u * 1024);
  EXPECT_EQ(data.pieces()[1].bytes.data(), b.data());
  EXPECT_EQ(data.pieces()[2].offset, 20u * 1024);
  EXPECT_EQ(data.pieces()[2].bytes.data(), a.data() + 20 * 1024);
  io::Bytes expected(a.begin(), a.end());
  std::copy(b.begin(), b.end(), expected.begin() + 10 * 1024);
  EXPECT_EQ(data.bytes(), expected);
  // A truncate into the last piece slices it too.
  data.resize(30 * 1024);
  expected.resize(30 * 1024);
  EXPECT_EQ(data.bytes(), expected);
  EXPECT_EQ(data.pieces()[2].bytes.data(), a.data() + 20 * 1024);
}

TEST(FileData, a_torn_prefix_of_an_extent_over_several_pieces_keeps_exactly_its_bytes) {
  const io::SharedBytes a = numbered(8 * 1024, 3);
  const io::SharedBytes b = numbered(8 * 1024, 4);
  FileData data;
  data.write_shared(100, a);
  data.write_shared(100 + 8 * 1024 + 50, b);  // a 50-byte hole between them
  const FileData::Extent extent = data.extent(100, 16 * 1024 + 50);
  data.write(0, filled(20 * 1024, 0x55));  // the file changes; the extent does not

  FileData torn;
  torn.write(0, filled(100 + 12 * 1024, 0xEE));  // what the torn write lands on
  torn.write(extent, 12 * 1024);
  io::Bytes expected(100 + 12 * 1024, 0xEE);
  std::copy(a.begin(), a.end(), expected.begin() + 100);
  std::fill(expected.begin() + 100 + 8 * 1024, expected.begin() + 100 + 8 * 1024 + 50, 0);  // the hole
  std::copy(b.begin(), b.begin() + (4 * 1024 - 50), expected.begin() + 100 + 8 * 1024 + 50);
  EXPECT_EQ(torn.bytes(), expected);
  // Still by reference: the torn part of b is b's own memory.
  EXPECT_EQ(torn.pieces().back().bytes.data(), b.data());
}

TEST(FileData, equality_is_by_contents_whatever_the_pieces_share) {
  const io::SharedBytes a = numbered(32 * 1024, 5);
  FileData one;
  one.write_shared(0, a);
  FileData same = one;  // the same slices
  EXPECT_EQ(one, same);
  FileData copied;
  copied.write(0, a.view());  // other memory, same bytes
  EXPECT_EQ(one, copied);
  // Slices of one buffer at different positions are compared by their bytes.
  FileData shifted;
  shifted.write_shared(0, a.slice(1, a.size() - 1));
  shifted.write_shared(a.size() - 1, a.slice(0, 1));
  EXPECT_NE(one, shifted);
  // One byte differs in another buffer.
  io::Bytes changed(a.begin(), a.end());
  changed[20000] ^= 1;
  EXPECT_NE(one, FileData(changed));
  // A hole equals written zeros, and not a nonzero byte.
  FileData hole;
  hole.resize(a.size());
  EXPECT_EQ(hole, FileData(filled(a.size(), 0)));
  EXPECT_NE(hole, one);
}

TEST(FileData, small_adjacent_writes_are_merged_into_few_pieces) {
  FileData data;
  io::Bytes model;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    const io::Bytes bytes = filled(16, static_cast<std::uint8_t>(i));
    data.write(i * 16, bytes);
    model.insert(model.end(), bytes.begin(), bytes.end());
  }
  EXPECT_LE(data.piece_count(), 1000 * 16 / (FileData::kMergeBytes / 2));
  EXPECT_EQ(data.bytes(), model);
}

// Random writes, truncates and reads against a plain vector, across piece boundaries,
// large and tiny (merged) writes alike.
TEST(FileData, behaves_as_a_byte_vector_under_random_writes_and_truncates) {
  io::Prng random(20261126);
  for (int run = 0; run < 100; ++run) {
    const std::uint64_t write_max = run % 2 == 0 ? 3 * kPage : 64;  // odd runs: tiny writes that merge
    FileData data;
    io::Bytes model;
    for (int step = 0; step < 60; ++step) {
      const std::uint64_t roll = random.below(10);
      if (roll < 6) {
        const std::uint64_t offset = random.below(model.size() + (run % 2 == 0 ? 3 * kPage : 256));
        io::Bytes bytes(random.below(write_max));
        for (auto& b : bytes) b = static_cast<std::uint8_t>(random.next_u64());
        data.write(offset, bytes);
        if (!bytes.empty()) {
          model.resize(std::max<std::uint64_t>(model.size(), offset + bytes.size()), 0);
          std::copy(bytes.begin(), bytes.end(), model.begin() + static_cast<std::ptrdiff_t>(offset));
        }
      } else if (roll < 9) {
        const std::uint64_t size = random.below(model.size() + 2 * kPage + 1);
        data.resize(size);
        model.resize(size, 0);
      } else if (!model.empty()) {
        const std::uint64_t offset = random.below(model.size());
        io::Bytes out(random.below(model.size() - offset + 1));
        data.read(offset, out);
        ASSERT_TRUE(std::equal(out.begin(), out.end(), model.begin() + static_cast<std::ptrdiff_t>(offset)));
      }
      ASSERT_EQ(data.size(), model.size());
    }
    ASSERT_EQ(data.bytes(), model) << "run " << run;
    ASSERT_EQ(FileData(data), FileData(model));
  }
}

}  // namespace
}  // namespace hamirror::fsim
