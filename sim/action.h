// What a scheduler event runs: a move-only void() callable that keeps callables of up
// to kInlineBytes in place. std::function allocates for anything over 16 bytes, and
// almost every event's closure is larger (a component's `this`, a key and a
// std::function; a weak_ptr and a std::function): a malloc and a free per event,
// several percent of a run. Larger callables still work, on the heap.
//
// BasicAction<N> keeps up to N bytes in place: a component that stores its own
// callbacks (fsim's PendingEvents: a std::function and a result) picks a larger N.
#pragma once

#include <concepts>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace hamirror::sim {

template <std::size_t InlineBytes>
class BasicAction {
 public:
  static constexpr std::size_t kInlineBytes = InlineBytes;

  BasicAction() = default;
  BasicAction(std::nullptr_t) {}  // NOLINT(google-explicit-constructor): as std::function's
  template <typename F>
    requires(!std::same_as<std::decay_t<F>, BasicAction> && std::invocable<std::decay_t<F>&>)
  BasicAction(F&& fn) {  // NOLINT(google-explicit-constructor): a lambda is passed as is
    using T = std::decay_t<F>;
    if constexpr (requires(const T& f) { static_cast<bool>(f); }) {
      if (!static_cast<bool>(fn)) return;  // an empty std::function stays empty
    }
    if constexpr (fits_inline<T>()) {
      ::new (static_cast<void*>(storage_)) T(std::forward<F>(fn));
      ops_ = &kInlineOps<T>;
    } else {
      ::new (static_cast<void*>(storage_)) T*(new T(std::forward<F>(fn)));
      ops_ = &kHeapOps<T>;
    }
  }
  BasicAction(BasicAction&& other) noexcept { take(other); }
  BasicAction& operator=(BasicAction&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  BasicAction(const BasicAction&) = delete;
  BasicAction& operator=(const BasicAction&) = delete;
  ~BasicAction() { reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  void operator()() { ops_->call(storage_); }

  // True when a callable of type F is kept in place (no allocation).
  template <typename F>
  static constexpr bool stores_inline() {
    return fits_inline<std::decay_t<F>>();
  }

 private:
  struct Ops {
    void (*call)(void* self);
    void (*move_to)(void* to, void* from) noexcept;  // constructs at `to`, destroys `from`
    void (*destroy)(void* self) noexcept;
  };
  template <typename T>
  static constexpr bool fits_inline() {
    return sizeof(T) <= kInlineBytes && alignof(T) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<T>;
  }
  template <typename T>
  static constexpr Ops kInlineOps{
      [](void* self) { (*static_cast<T*>(self))(); },
      [](void* to, void* from) noexcept {
        ::new (to) T(std::move(*static_cast<T*>(from)));
        static_cast<T*>(from)->~T();
      },
      [](void* self) noexcept { static_cast<T*>(self)->~T(); }};
  // The storage holds a T*.
  template <typename T>
  static constexpr Ops kHeapOps{
      [](void* self) { (**static_cast<T**>(self))(); },
      [](void* to, void* from) noexcept { ::new (to) T*(*static_cast<T**>(from)); },
      [](void* self) noexcept { delete *static_cast<T**>(self); }};

  void take(BasicAction& other) noexcept {
    if (other.ops_ == nullptr) return;
    other.ops_->move_to(storage_, other.storage_);
    ops_ = other.ops_;
    other.ops_ = nullptr;
  }
  void reset() noexcept {
    if (ops_ == nullptr) return;
    const Ops* ops = ops_;
    ops_ = nullptr;
    ops->destroy(storage_);
  }

  alignas(std::max_align_t) unsigned char storage_[kInlineBytes];
  const Ops* ops_ = nullptr;
};

// What a scheduler event runs: fits the closures of nearly every event.
using Action = BasicAction<48>;

}  // namespace hamirror::sim
