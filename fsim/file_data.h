// A simulated file's bytes, stored as a sparse array of fixed-size pages.
//
// Why not one std::vector: the workload truncates files up to a few MiB and writes
// up to 1 MiB past their end, and every fsync made the durable copy equal to the
// current one. With a vector every extension is zero-filled (and, past glibc's mmap
// threshold, page-faulted in) and every fsync copies the whole file. With pages:
// - a range the file grew over without writing it is a hole: it reads as zeros and
//   costs nothing until written;
// - pages are shared copy-on-write, so a copy (fsync's durable = current, a crash
//   starting from the durable data) copies pointers, and a later write replaces the
//   pages it touches (copying only the untouched part of a page it covers partly);
// - an Extent keeps a written range by sharing its pages, so the unsynced change a
//   write leaves behind costs no copy of its bytes either.
//
// Semantics are those of a byte vector: size(), resize() (truncate or extend with
// zeros), write() (zero-fills any gap past the end), read(), value copies and
// equality by contents. Invariants: a shared page is never written; bytes of a page
// at or past size() are zero, so growing the file never has to clear anything.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "io/bytes.h"

namespace hamirror::fsim {

class FileData {
  using Page = std::shared_ptr<std::uint8_t[]>;

 public:
  // Bytes [offset, offset + size) of a file as they were when taken; later writes to
  // the file replace the pages they touch and leave these as they are.
  class Extent {
   public:
    Extent() = default;
    std::uint64_t offset() const { return offset_; }
    std::uint64_t size() const { return size_; }

   private:
    friend class FileData;
    std::uint64_t offset_ = 0;
    std::uint64_t size_ = 0;
    std::vector<Page> pages_;  // the pages covering the range, from offset_'s
  };

  // Small enough that a small write into a new or shared page copies or clears
  // little; large enough that a 1 MiB write allocates 64 pages, not 256; below
  // glibc's mmap threshold, so pages come from the heap, not from page faults.
  static constexpr std::size_t kPageBytes = 16 * 1024;

  FileData() = default;
  explicit FileData(io::ByteView bytes) { write(0, bytes); }
  FileData(const FileData&) = default;  // shares the pages
  FileData& operator=(const FileData&) = default;
  FileData(FileData&&) noexcept = default;
  FileData& operator=(FileData&&) noexcept = default;
  ~FileData() = default;

  std::uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Truncates or extends with zeros.
  void resize(std::uint64_t size_bytes);
  // Writes bytes at offset; a gap between the end and offset reads as zeros. A
  // zero-length write changes nothing (POSIX: it does not extend the file).
  void write(std::uint64_t offset, io::ByteView bytes);
  // Writes the first `count` bytes of an extent (all of it, or a torn prefix) where
  // they were taken from.
  void write(const Extent& extent, std::uint64_t count);
  // The range [offset, offset + size), which must lie within size(), shared.
  Extent extent(std::uint64_t offset, std::uint64_t size) const;
  // Copies [offset, offset + out.size()) into out; the range must lie within size().
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const;
  // The whole contents as one buffer (inspection, trace lines of rare events).
  io::Bytes bytes() const;

  friend bool operator==(const FileData& a, const FileData& b);

 private:
  // The page at index, ready to be written in [from, to): a new one where it is a
  // hole or shared (keeping the bytes outside [from, to)), else the page itself.
  std::uint8_t* writable_page(std::uint64_t index, std::uint64_t from, std::uint64_t to);
  static std::uint64_t pages_for(std::uint64_t size_bytes) { return (size_bytes + kPageBytes - 1) / kPageBytes; }
  // The page's bytes, or null for a hole (all zeros).
  const std::uint8_t* page_or_null(std::uint64_t index) const {
    return index < pages_.size() ? pages_[index].get() : nullptr;
  }

  std::uint64_t size_ = 0;
  std::vector<Page> pages_;  // pages_for(size_) entries; null: a hole
};

}  // namespace hamirror::fsim
