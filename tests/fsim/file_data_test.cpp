// FileData, the simulated file's sparse pages: it must behave exactly as the byte
// vector it replaced, holes and page boundaries included.
#include <gtest/gtest.h>

#include <algorithm>

#include "fsim/file_data.h"
#include "io/random.h"

namespace hamirror::fsim {
namespace {

constexpr std::uint64_t kPage = FileData::kPageBytes;

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

// Random writes, truncates and reads against a plain vector, across page boundaries.
TEST(FileData, behaves_as_a_byte_vector_under_random_writes_and_truncates) {
  io::Prng random(20261126);
  for (int run = 0; run < 50; ++run) {
    FileData data;
    io::Bytes model;
    for (int step = 0; step < 60; ++step) {
      const std::uint64_t roll = random.below(10);
      if (roll < 6) {
        const std::uint64_t offset = random.below(model.size() + 3 * kPage);
        io::Bytes bytes(random.below(3 * kPage));
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
