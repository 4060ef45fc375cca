#include "fsim/file_data.h"

#include <algorithm>
#include <cstring>

#include "io/assert.h"

namespace hamirror::fsim {

FileData::FileData(const FileData& other) : size_(other.size_), pages_(other.pages_.size()) {
  for (std::size_t i = 0; i < pages_.size(); ++i) {
    if (!other.pages_[i]) continue;  // a hole stays a hole
    pages_[i] = std::make_unique_for_overwrite<std::uint8_t[]>(kPageBytes);
    std::memcpy(pages_[i].get(), other.pages_[i].get(), kPageBytes);
  }
}

FileData& FileData::operator=(const FileData& other) {
  if (this != &other) *this = FileData(other);
  return *this;
}

void FileData::resize(std::uint64_t size_bytes) {
  if (size_bytes < size_) {
    pages_.resize(pages_for(size_bytes));
    // Keep the invariant: what lies past the new end in its last page reads as zeros
    // when the file grows again.
    const std::uint64_t tail = size_bytes % kPageBytes;
    if (tail != 0 && pages_.back()) std::memset(pages_.back().get() + tail, 0, kPageBytes - tail);
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
    Page& page = pages_[index];
    if (!page) {
      // A new page: clear only what this write leaves untouched.
      page = std::make_unique_for_overwrite<std::uint8_t[]>(kPageBytes);
      std::memset(page.get(), 0, in_page);
      std::memset(page.get() + in_page + count, 0, kPageBytes - in_page - count);
    }
    std::memcpy(page.get() + in_page, bytes.data() + done, count);
    done += count;
  }
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
    if (pa == nullptr && pb == nullptr) continue;
    // Whole pages: past the end both hold zeros (the invariant).
    if (std::memcmp(pa ? pa : kZeros, pb ? pb : kZeros, FileData::kPageBytes) != 0) return false;
  }
  return true;
}

}  // namespace hamirror::fsim
