// The directories whose entries an OpApplier knows durable (op_applier.cpp): it flushed
// them and changed no entry in them since. Bounded: forgetting costs a flush, never
// safety.
//
// Names differ only in case on a case-insensitive file system (NTFS, and macOS's
// default): "Data/a" and "data/a" are one directory. A change of an entry under either
// spelling must forget every spelling, or an fsync under the other one would skip the
// flush that makes the new entry durable. So a change forgets every remembered path
// equal to it ignoring ASCII case (on a case-sensitive disk that only costs a flush),
// and everything when the path holds a non-ASCII byte (Unicode case rules are the
// file system's own). A lookup stays exact: on a case-sensitive disk "Data" and "data"
// are two directories, and the flush of one says nothing of the other.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace hamirror::core {

class DurableDirectories {
 public:
  explicit DurableDirectories(std::size_t capacity) : capacity_(capacity) {}

  bool contains(const std::string& directory) const {
    auto [first, last] = by_folded_.equal_range(fold(directory));
    for (auto it = first; it != last; ++it) {
      if (it->second == directory) return true;
    }
    return false;
  }

  void insert(const std::string& directory) {
    if (contains(directory)) return;
    if (by_folded_.size() >= capacity_) by_folded_.clear();
    by_folded_.emplace(fold(directory), directory);
  }

  // An entry of `directory` changed, under whatever spelling.
  void forget(const std::string& directory) {
    if (!ascii(directory)) return clear();
    by_folded_.erase(fold(directory));
  }

  void clear() { by_folded_.clear(); }
  std::size_t size() const { return by_folded_.size(); }

 private:
  static bool ascii(const std::string& path) {
    for (const char c : path) {
      if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
  }
  static std::string fold(std::string path) {
    for (char& c : path) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return path;
  }

  std::size_t capacity_;
  std::multimap<std::string, std::string> by_folded_;  // folded -> exact spellings
};

}  // namespace hamirror::core
