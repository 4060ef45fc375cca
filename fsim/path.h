// The simulated file system's path rules, in one place. MemFs paths are POSIX-style
// and absolute ("/data/x"); repeated separators collapse as on POSIX. "." and ".."
// are refused with invalid_argument: nothing in the product needs them, and quietly
// resolving them would hide path bugs that the real backends would expose. A backslash
// is refused too, because on Windows it would be a separator and the simulated tree
// would then disagree with the real one.
#pragma once

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "io/error.h"

namespace hamirror::fsim {

// POSIX PATH_MAX and NAME_MAX: longer paths fail with invalid_argument.
constexpr std::size_t kMaxPathBytes = 4096;
constexpr std::size_t kMaxNameBytes = 255;

// A checked path's names, as views into the text it was parsed from: no allocation
// per call (a vector of strings per path was a malloc per name on every disk call).
// The text must outlive the ParsedPath.
class ParsedPath {
 public:
  // Walks the names in order.
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;

    Iterator() = default;
    std::string_view operator*() const { return name_; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.name_.data() == b.name_.data(); }

   private:
    friend class ParsedPath;
    Iterator(std::string_view text, std::size_t from);
    std::string_view text_;
    std::string_view name_;  // empty with a null data(): the end
  };

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }  // the root
  Iterator begin() const { return Iterator(text_, 0); }
  Iterator end() const { return Iterator(); }
  std::string_view back() const { return last_; }  // the last name; not for the root
  bool trailing_separator() const { return trailing_separator_; }  // "/a/b/": must be a directory
  // The names as strings (tests, setup).
  std::vector<std::string> names() const;

 private:
  friend io::Result<ParsedPath> parse_path(std::string_view path);
  std::string_view text_;
  std::size_t size_ = 0;
  std::string_view last_;
  bool trailing_separator_ = false;
};

io::Result<ParsedPath> parse_path(std::string_view path);

}  // namespace hamirror::fsim
