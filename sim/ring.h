// A FIFO queue in one growable circular buffer, for the simulator's per-event queues
// (a stream's writes and chunks). std::deque allocates a 512-byte block every
// 512 / sizeof(T) pushes and frees it once popped past: for a stream's chunks (about
// 90 bytes) a malloc and a free every five chunks, for ever. A Ring allocates only
// when it grows past its largest size so far.
//
// pop_front() resets the slot (T{}), so what an element holds (a shared buffer, a
// callback) is released when it leaves, as with std::deque. Elements are moved when
// the ring grows: references and iterators are valid until the next push_back().
// T must be default-constructible and movable.
#pragma once

#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

#include "io/assert.h"

namespace hamirror::sim {

template <typename T>
class Ring {
 public:
  template <typename Owner, typename Value>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = Value*;
    using reference = Value&;

    Iter() = default;
    Iter(Owner* ring, std::size_t index) : ring_(ring), index_(index) {}
    Value& operator*() const { return (*ring_)[index_]; }
    Value* operator->() const { return &(*ring_)[index_]; }
    Iter& operator++() {
      ++index_;
      return *this;
    }
    Iter operator++(int) {
      Iter before = *this;
      ++index_;
      return before;
    }
    friend bool operator==(const Iter& a, const Iter& b) { return a.index_ == b.index_; }

   private:
    Owner* ring_ = nullptr;
    std::size_t index_ = 0;
  };
  using iterator = Iter<Ring, T>;
  using const_iterator = Iter<const Ring, const T>;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Index 0 is the front.
  T& operator[](std::size_t index) {
    HM_ASSERT(index < size_);
    return slots_[(head_ + index) & (slots_.size() - 1)];
  }
  const T& operator[](std::size_t index) const {
    HM_ASSERT(index < size_);
    return slots_[(head_ + index) & (slots_.size() - 1)];
  }
  T& front() { return (*this)[0]; }
  const T& front() const { return (*this)[0]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }

  iterator begin() { return iterator(this, 0); }
  iterator end() { return iterator(this, size_); }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }

  void push_back(T value) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(value);
    ++size_;
  }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    push_back(T{std::forward<Args>(args)...});
    return back();
  }
  void pop_front() {
    HM_ASSERT(size_ > 0);
    slots_[head_] = T{};
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
  }
  // Releases every element, front first; keeps the buffer.
  void clear() {
    while (size_ > 0) pop_front();
    head_ = 0;
  }

 private:
  void grow() {
    // A power of two, so an index wraps with a mask.
    std::vector<T> bigger(slots_.empty() ? 4 : slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    slots_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;  // size 0 or a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace hamirror::sim
