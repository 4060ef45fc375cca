#include "fsim/file_data.h"

#include <algorithm>
#include <cstring>

#include "io/assert.h"

namespace hamirror::fsim {

void FileData::resize(std::uint64_t size_bytes) {
  if (size_bytes < size_) {
    pages_.resize(pages_for(size_bytes));
    // Keep the invariant: what lies past the new end in its last page reads as zeros
    // when the file grows again.
    const std::uint64_t tail = size_bytes % kPageBytes;
    if (tail != 0 && pages_.back()) {
      std::memset(writable_page(pages_.size() - 1, tail, kPageBytes) + tail, 0, kPageBytes - tail);
    }
  } else {
    pages_.resize(pages_for(size_bytes));  // new pages are holes
  }
  size_ = size_bytes;
}

void FileData::write(std::uint64_t offset, io::ByteView bytes) {
  HM_ASSERT(offset <= UINT64_MAX - bytes.size());
  if (bytes.empty()) return;
  const std::uint64_t end = offset + bytes.size();
  if (end > size_) resize(end);
  std::uint64_t done = 0;
  while (done < bytes.size()) {
    const std::uint64_t at = offset + done;
    const std::uint64_t index = at / kPageBytes;
    const std::uint64_t in_page = at % kPageBytes;
    const std::uint64_t count = std::min<std::uint64_t>(kPageBytes - in_page, bytes.size() - done);
    std::memcpy(writable_page(index, in_page, in_page + count) + in_page, bytes.data() + done, count);
    done += count;
  }
}

void FileData::write(const Extent& extent, std::uint64_t count) {
  HM_ASSERT(count <= extent.size_);
  const std::uint64_t first_page = extent.offset_ / kPageBytes;
  std::uint64_t done = 0;
  while (done < count) {
    const std::uint64_t at = extent.offset_ + done;
    const std::uint64_t in_page = at % kPageBytes;
    const std::uint64_t piece = std::min<std::uint64_t>(kPageBytes - in_page, count - done);
    const Page& page = extent.pages_[at / kPageBytes - first_page];
    write(at, io::ByteView(page.get() + in_page, piece));
    done += piece;
  }
}

FileData::Extent FileData::extent(std::uint64_t offset, std::uint64_t size) const {
  HM_ASSERT(offset <= size_ && size <= size_ - offset);
  Extent extent;
  extent.offset_ = offset;
  extent.size_ = size;
  if (size == 0) return extent;
  for (std::uint64_t index = offset / kPageBytes; index <= (offset + size - 1) / kPageBytes; ++index) {
    HM_ASSERT(pages_[index] != nullptr);  // taken right after the write that filled it
    extent.pages_.push_back(pages_[index]);
  }
  return extent;
}

std::uint8_t* FileData::writable_page(std::uint64_t index, std::uint64_t from, std::uint64_t to) {
  HM_ASSERT(index < pages_.size() && from <= to && to <= kPageBytes);
  Page& page = pages_[index];
  if (page && page.use_count() == 1) return page.get();
  // Only the bytes outside [from, to) are filled: the caller writes the rest.
  Page fresh = std::make_shared_for_overwrite<std::uint8_t[]>(kPageBytes);
  if (page) {
    std::memcpy(fresh.get(), page.get(), from);
    std::memcpy(fresh.get() + to, page.get() + to, kPageBytes - to);
  } else {
    std::memset(fresh.get(), 0, from);
    std::memset(fresh.get() + to, 0, kPageBytes - to);
  }
  page = std::move(fresh);
  return page.get();
}

void FileData::read(std::uint64_t offset, std::span<std::uint8_t> out) const {
  HM_ASSERT(offset <= size_ && out.size() <= size_ - offset);
  std::uint64_t done = 0;
  while (done < out.size()) {
    const std::uint64_t at = offset + done;
    const std::uint64_t in_page = at % kPageBytes;
    const std::uint64_t count = std::min<std::uint64_t>(kPageBytes - in_page, out.size() - done);
    const std::uint8_t* page = page_or_null(at / kPageBytes);
    if (page) {
      std::memcpy(out.data() + done, page + in_page, count);
    } else {
      std::memset(out.data() + done, 0, count);
    }
    done += count;
  }
}

io::Bytes FileData::bytes() const {
  io::Bytes all(size_);
  read(0, all);
  return all;
}

bool operator==(const FileData& a, const FileData& b) {
  if (a.size_ != b.size_) return false;
  static constexpr std::uint8_t kZeros[FileData::kPageBytes] = {};
  for (std::uint64_t i = 0; i < a.pages_.size(); ++i) {
    const std::uint8_t* pa = a.page_or_null(i);
    const std::uint8_t* pb = b.page_or_null(i);
    if (pa == pb) continue;  // both holes, or one shared page
    // Whole pages: past the end both hold zeros (the invariant).
    if (std::memcmp(pa ? pa : kZeros, pb ? pb : kZeros, FileData::kPageBytes) != 0) return false;
  }
  return true;
}

}  // namespace hamirror::fsim
