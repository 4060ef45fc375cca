#include "fsim/file_data.h"

#include <algorithm>
#include <cstring>

#include "io/assert.h"

namespace hamirror::fsim {

namespace {

// The first piece that ends after `at` (pieces are sorted and disjoint, so their ends
// are sorted too).
std::size_t first_ending_after(const std::vector<FileData::Piece>& pieces, std::uint64_t at) {
  return static_cast<std::size_t>(
      std::partition_point(pieces.begin(), pieces.end(), [at](const FileData::Piece& p) { return p.end() <= at; }) -
      pieces.begin());
}

// Bytes [from, to) of a piece that covers them.
io::SharedBytes clip(const FileData::Piece& piece, std::uint64_t from, std::uint64_t to) {
  HM_ASSERT(piece.offset <= from && from < to && to <= piece.end());
  if (from == piece.offset && to == piece.end()) return piece.bytes;
  return piece.bytes.slice(from - piece.offset, to - from);
}

bool all_zero(const std::uint8_t* data, std::uint64_t size) {
  static constexpr std::uint8_t kZeros[4096] = {};
  while (size > 0) {
    const std::uint64_t n = std::min<std::uint64_t>(size, sizeof kZeros);
    if (std::memcmp(data, kZeros, n) != 0) return false;
    data += n;
    size -= n;
  }
  return true;
}

}  // namespace

void FileData::resize(std::uint64_t size_bytes) {
  if (size_bytes < size_) punch(size_bytes, size_);  // growing leaves a hole
  size_ = size_bytes;
}

void FileData::write(std::uint64_t offset, io::ByteView bytes) {
  if (bytes.empty()) return;
  write_shared(offset, io::SharedBytes::copy_of(bytes));
}

void FileData::write_shared(std::uint64_t offset, io::SharedBytes bytes) {
  HM_ASSERT(offset <= UINT64_MAX - bytes.size());
  if (bytes.empty()) return;
  const std::uint64_t end = offset + bytes.size();
  const std::size_t index = punch(offset, end);
  size_ = std::max(size_, end);
  pieces_.insert(pieces_.begin() + static_cast<std::ptrdiff_t>(index), Piece{offset, std::move(bytes)});
  merge_small_neighbours(index);
}

void FileData::write(const Extent& extent, std::uint64_t count) {
  HM_ASSERT(count <= extent.size_);
  if (count == 0) return;
  const std::uint64_t end = extent.offset_ + count;
  punch(extent.offset_, end);  // where the extent has a hole, the file gets one too
  size_ = std::max(size_, end);
  for (const Piece& piece : extent.pieces_) {
    if (piece.offset >= end) break;
    write_shared(piece.offset, clip(piece, piece.offset, std::min(piece.end(), end)));
  }
}

FileData::Extent FileData::extent(std::uint64_t offset, std::uint64_t size) const {
  HM_ASSERT(offset <= size_ && size <= size_ - offset);
  Extent extent;
  extent.offset_ = offset;
  extent.size_ = size;
  const std::uint64_t end = offset + size;
  for (std::size_t i = first_ending_after(pieces_, offset); i < pieces_.size() && pieces_[i].offset < end; ++i) {
    const std::uint64_t from = std::max(offset, pieces_[i].offset);
    extent.pieces_.push_back(Piece{from, clip(pieces_[i], from, std::min(end, pieces_[i].end()))});
  }
  return extent;
}

void FileData::read(std::uint64_t offset, std::span<std::uint8_t> out) const {
  HM_ASSERT(offset <= size_ && out.size() <= size_ - offset);
  if (out.empty()) return;  // its data() may be null, which memset must not get
  std::memset(out.data(), 0, out.size());
  const std::uint64_t end = offset + out.size();
  for (std::size_t i = first_ending_after(pieces_, offset); i < pieces_.size() && pieces_[i].offset < end; ++i) {
    const Piece& piece = pieces_[i];
    const std::uint64_t from = std::max(offset, piece.offset);
    const std::uint64_t to = std::min(end, piece.end());
    std::memcpy(out.data() + (from - offset), piece.bytes.data() + (from - piece.offset), to - from);
  }
}

io::Bytes FileData::bytes() const {
  io::Bytes all(size_);
  read(0, all);
  return all;
}

std::size_t FileData::punch(std::uint64_t from, std::uint64_t to) {
  HM_ASSERT(from <= to);
  const std::size_t first = first_ending_after(pieces_, from);
  std::size_t last = first;  // one past the last piece overlapping [from, to)
  while (last < pieces_.size() && pieces_[last].offset < to) ++last;
  if (first == last) return first;
  // What survives of the overlapping pieces: the part before `from`, the part after `to`.
  Piece kept[2];
  std::size_t kept_count = 0;
  bool left = false;
  if (pieces_[first].offset < from) {
    kept[kept_count++] = Piece{pieces_[first].offset, clip(pieces_[first], pieces_[first].offset, from)};
    left = true;
  }
  if (pieces_[last - 1].end() > to) kept[kept_count++] = Piece{to, clip(pieces_[last - 1], to, pieces_[last - 1].end())};
  const std::size_t overlapping = last - first;
  for (std::size_t k = 0; k < std::min(kept_count, overlapping); ++k) pieces_[first + k] = std::move(kept[k]);
  const auto at = [this](std::size_t i) { return pieces_.begin() + static_cast<std::ptrdiff_t>(i); };
  if (kept_count < overlapping) {
    pieces_.erase(at(first + kept_count), at(last));
  } else if (kept_count > overlapping) {  // one piece straddled both edges
    pieces_.insert(at(first + 1), std::move(kept[1]));
  }
  return first + (left ? 1 : 0);
}

std::size_t FileData::merge_small_neighbours(std::size_t index) {
  if (pieces_[index].bytes.size() >= kMergeBytes) return index;
  std::size_t first = index;
  std::size_t last = index;
  if (index > 0 && pieces_[index].end() - pieces_[index - 1].offset <= kMergeBytes) first = index - 1;
  if (index + 1 < pieces_.size() && pieces_[index + 1].end() - pieces_[first].offset <= kMergeBytes) last = index + 1;
  if (first == last) return index;
  merge_range(first, last);
  return first;
}

void FileData::merge_range(std::size_t first, std::size_t last) {
  const std::uint64_t start = pieces_[first].offset;
  io::Bytes merged(pieces_[last].end() - start, 0);  // holes between the pieces stay zeros
  for (std::size_t i = first; i <= last; ++i) {
    std::memcpy(merged.data() + (pieces_[i].offset - start), pieces_[i].bytes.data(), pieces_[i].bytes.size());
  }
  pieces_[first] = Piece{start, io::SharedBytes(std::move(merged))};
  pieces_.erase(pieces_.begin() + static_cast<std::ptrdiff_t>(first + 1),
                pieces_.begin() + static_cast<std::ptrdiff_t>(last + 1));
}

bool operator==(const FileData& a, const FileData& b) {
  if (a.size_ != b.size_) return false;
  // Walk both piece lists at once, segment by segment: within a segment each side is
  // one piece or a hole.
  std::size_t i = 0;
  std::size_t j = 0;
  std::uint64_t at = 0;
  // The piece covering `at` (or null: a hole), and where that piece or hole ends.
  const auto cover = [&at](const std::vector<FileData::Piece>& pieces, std::size_t& k, std::uint64_t size,
                           std::uint64_t& until) -> const std::uint8_t* {
    while (k < pieces.size() && pieces[k].end() <= at) ++k;
    if (k == pieces.size()) {
      until = size;
      return nullptr;
    }
    if (pieces[k].offset > at) {
      until = pieces[k].offset;
      return nullptr;
    }
    until = pieces[k].end();
    return pieces[k].bytes.data() + (at - pieces[k].offset);
  };
  while (at < a.size_) {
    std::uint64_t until_a = 0;
    std::uint64_t until_b = 0;
    const std::uint8_t* pa = cover(a.pieces_, i, a.size_, until_a);
    const std::uint8_t* pb = cover(b.pieces_, j, b.size_, until_b);
    const std::uint64_t n = std::min(until_a, until_b) - at;
    // Same memory (the same slice, or both holes): equal without reading a byte.
    if (pa != pb) {
      if (!pa || !pb) {
        if (!all_zero(pa ? pa : pb, n)) return false;
      } else if (std::memcmp(pa, pb, n) != 0) {
        return false;
      }
    }
    at += n;
  }
  return true;
}

}  // namespace hamirror::fsim
