// A simulated file's bytes, stored by reference: a sorted map of immutable pieces
// (io::SharedBytes slices), with holes between them.
//
// Why references: the simulator must run far faster than the bytes it moves (the
// runner's 1,000x with writes up to 1 MiB is about 19 GB/s of simulated writes), so a
// written payload must never be copied. A write keeps the payload's SharedBytes as a
// piece; a later write over part of it slices what is left on either side. So:
// - a range the file grew over without writing it is a hole: it reads as zeros and
//   costs nothing;
// - a value copy (fsync's durable = current, a crash starting from the durable data)
//   copies the list of pieces, never their bytes;
// - an Extent keeps a written range as slices of the same pieces, so the unsynced
//   change a write leaves behind costs no copy either;
// - equality compares pieces that are the same slice (same buffer, same position) by
//   pointer, and only different bytes byte by byte.
//
// Fragmentation is bounded for small writes: a written piece smaller than
// kMergeBytes is merged with a neighbour by copying both (and the hole between them,
// as zeros) into one new buffer when the merged span stays within kMergeBytes, so a
// workload of 16-byte writes keeps pieces of up to kMergeBytes, not one per write.
//
// Semantics are those of a byte vector: size(), resize() (truncate or extend with
// zeros), write() (zero-fills any gap past the end), read(), value copies and
// equality by contents. Invariants: pieces are non-empty, sorted, non-overlapping
// and lie within [0, size()).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "io/assert.h"
#include "io/bytes.h"
#include "io/shared_bytes.h"

namespace hamirror::fsim {

class FileData {
 public:
  // Stored bytes [offset, offset + bytes.size()).
  struct Piece {
    std::uint64_t offset = 0;
    io::SharedBytes bytes;
    std::uint64_t end() const { return offset + bytes.size(); }
  };

  // Bytes [offset, offset + size) of a file as they were when taken; later writes to
  // the file replace its pieces and leave these as they are.
  class Extent {
   public:
    Extent() = default;
    std::uint64_t offset() const { return offset_; }
    std::uint64_t size() const { return size_; }

   private:
    friend class FileData;
    std::uint64_t offset_ = 0;
    std::uint64_t size_ = 0;
    std::vector<Piece> pieces_;  // within the range, clipped to it; gaps read as zeros
  };

  // Small pieces are merged by copying up to this span (see the top of this file):
  // large enough that tiny writes make few pieces, small enough that the copy a tiny
  // write costs stays cheap.
  static constexpr std::uint64_t kMergeBytes = 4096;

  FileData() = default;
  explicit FileData(io::ByteView bytes) { write(0, bytes); }

  std::uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t piece_count() const { return pieces_.size(); }

  // Truncates or extends with zeros.
  void resize(std::uint64_t size_bytes);
  // Writes a copy of bytes at offset; a gap between the end and offset reads as
  // zeros. A zero-length write changes nothing (POSIX: it does not extend the file).
  void write(std::uint64_t offset, io::ByteView bytes);
  // As above, keeping a reference to the bytes instead of a copy (unless merged).
  void write_shared(std::uint64_t offset, io::SharedBytes bytes);
  // Writes the first `count` bytes of an extent (all of it, or a torn prefix) where
  // they were taken from.
  void write(const Extent& extent, std::uint64_t count);
  // The range [offset, offset + size), which must lie within size(), shared.
  Extent extent(std::uint64_t offset, std::uint64_t size) const;
  // Copies [offset, offset + out.size()) into out; the range must lie within size().
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const;
  // The whole contents as one buffer (inspection, tests).
  io::Bytes bytes() const;
  // The stored pieces, in order (holes between them read as zeros).
  const std::vector<Piece>& pieces() const { return pieces_; }
  // Calls fn(at, bytes, length) for consecutive parts of [offset, offset + size),
  // which must lie within size(): bytes is a stored slice of `length` bytes, or empty
  // for a hole of `length` zeros. Stops early, returning false, when fn does. Lets a
  // checker compare by reference without materialising the range.
  template <typename Fn>
  bool visit(std::uint64_t offset, std::uint64_t size, Fn fn) const;

  friend bool operator==(const FileData& a, const FileData& b);

 private:
  // Removes the stored bytes in [from, to), slicing pieces that straddle an edge;
  // returns the index where a piece starting at `from` belongs.
  std::size_t punch(std::uint64_t from, std::uint64_t to);
  // Merges the piece at index with small neighbours (kMergeBytes); returns its new index.
  std::size_t merge_small_neighbours(std::size_t index);
  // Replaces pieces [first, last] (adjacent, small) by one copied piece.
  void merge_range(std::size_t first, std::size_t last);

  std::uint64_t size_ = 0;
  std::vector<Piece> pieces_;
};

template <typename Fn>
bool FileData::visit(std::uint64_t offset, std::uint64_t size, Fn fn) const {
  HM_ASSERT(offset <= size_ && size <= size_ - offset);
  const std::uint64_t end = offset + size;
  std::uint64_t at = offset;
  for (const Piece& piece : pieces_) {
    if (piece.end() <= at) continue;
    if (piece.offset >= end) break;
    if (piece.offset > at) {
      if (!fn(at, io::ByteView(), piece.offset - at)) return false;
      at = piece.offset;
    }
    const std::uint64_t to = std::min(end, piece.end());
    if (!fn(at, piece.bytes.view().subspan(at - piece.offset, to - at), to - at)) return false;
    at = to;
  }
  return at == end || fn(at, io::ByteView(), end - at);
}

}  // namespace hamirror::fsim
