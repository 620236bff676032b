#pragma once
// Memory for one request's start line and header fields, kept by its connection and reused by the
// next request. Beast's basic_fields allocates each field on its own (a Twilio POST has eight or
// more), which was a third of a signed webhook's allocations; from the connection's arena they cost
// a bump of an offset, and nothing to free. Pure: no I/O.

#include <cstddef>
#include <memory>
#include <type_traits>

namespace twiml_redirect::http {

class request_arena {
 public:
  // Enough for a Twilio webhook's header with room to spare; a larger one spills to the heap.
  static constexpr std::size_t kBytes = 2048;

  // `bytes` aligned to `alignment` (a power of two), or null when they do not fit what is left.
  void* allocate(std::size_t bytes, std::size_t alignment) noexcept {
    const std::size_t at = (used_ + alignment - 1) & ~(alignment - 1);
    if (at > kBytes || bytes > kBytes - at) return nullptr;
    used_ = at + bytes;
    return storage_ + at;
  }
  bool owns(const void* p) const noexcept {
    const auto* byte = static_cast<const std::byte*>(p);
    return byte >= storage_ && byte < storage_ + kBytes;
  }
  // Everything allocated so far is free again: only once nothing allocated from it is alive.
  void reset() noexcept { used_ = 0; }
  std::size_t used() const noexcept { return used_; }

 private:
  alignas(std::max_align_t) std::byte storage_[kBytes];
  std::size_t used_ = 0;
};

// Allocates from a request_arena while it has room, else from the heap. A default-constructed one
// (a request built in a test or by a command) always uses the heap, and so does a copy of a
// container: a copied request may outlive the connection's next request.
template <class T>
class arena_allocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::false_type;
  using propagate_on_container_move_assignment = std::false_type;
  using propagate_on_container_swap = std::false_type;
  using is_always_equal = std::false_type;

  arena_allocator() noexcept = default;
  explicit arena_allocator(request_arena* arena) noexcept : arena_(arena) {}
  template <class U>
  arena_allocator(const arena_allocator<U>& other) noexcept : arena_(other.arena()) {}  // NOLINT: rebinding

  T* allocate(std::size_t n) {
    if (arena_ != nullptr && n <= kMaxCount)
      if (void* p = arena_->allocate(n * sizeof(T), alignof(T))) return static_cast<T*>(p);
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (arena_ != nullptr && arena_->owns(p)) return;  // freed all at once, by the arena's reset
    std::allocator<T>{}.deallocate(p, n);
  }
  arena_allocator select_on_container_copy_construction() const noexcept { return {}; }

  request_arena* arena() const noexcept { return arena_; }

  template <class U>
  bool operator==(const arena_allocator<U>& other) const noexcept {
    return arena_ == other.arena();
  }

 private:
  static constexpr std::size_t kMaxCount = request_arena::kBytes / sizeof(T);
  request_arena* arena_ = nullptr;
};

}  // namespace twiml_redirect::http
