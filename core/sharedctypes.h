// Shared memory objects, as Python's Value, RawValue, Array and RawArray: plain data that every
// process holding a copy of the object reads and writes in place. T must be trivially copyable
// (it lives in shared memory as raw bytes); anything else is a compile-time error.
//
//   multiproc::Value<int64_t> counter(0);           // with a process-shared RLock
//   multiproc::RawArray<double> samples(1 << 20);  // no lock; share it with children
//   Process child(Fill, samples);                  // the child writes into the same memory
//
// Value/Array operations lock for the one access (Python's synchronized wrappers); take
// get_lock() yourself for read-modify-write sequences, as in Python's
// `with counter.get_lock(): counter.value += 1`:
//   { std::lock_guard hold(counter.get_lock()); counter.set(counter.get() + 1); }
// As in CPython, that lock is an RLock, so get() and set() under it take it again, not deadlock.
// Objects live in the shared heap (core/shared_heap.h): 10,000 Values cost no more handles than
// one. Memory is freed when the last process holding it lets go, even after kill -9.
#ifndef MULTIPROC_CORE_SHAREDCTYPES_H_
#define MULTIPROC_CORE_SHAREDCTYPES_H_

#include <cstddef>
#include <cstring>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "core/shared_heap.h"
#include "core/synchronize.h"

namespace multiproc {

template <typename T>
class RawValue {
  static_assert(std::is_trivially_copyable_v<T>,
                "multiproc::RawValue<T>/Value<T>: T must be trivially copyable, because it lives "
                "in shared memory as raw bytes; use a Manager for other types");

 public:
  explicit RawValue(T initial = T{})
      : block_(internal::SharedBlock::Allocate(sizeof(T), alignof(T))) {
    std::memcpy(block_.data(), &initial, sizeof(T));
  }

  T get() const {
    T value;
    std::memcpy(&value, block_.data(), sizeof(T));
    return value;
  }
  // A RawValue is a handle to shared bytes: writing through a const handle is allowed.
  void set(const T& value) const { std::memcpy(block_.data(), &value, sizeof(T)); }
  // The shared object itself (Python's get_obj()); access is not synchronized.
  T* get_obj() const { return static_cast<T*>(block_.data()); }

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(block_);
  }
  static RawValue LoadFromArchive(internal::InputArchive& archive) {
    return RawValue(internal::ArgumentLoader<internal::SharedBlock>::Load(archive));
  }

 private:
  explicit RawValue(internal::SharedBlock block) : block_(std::move(block)) {
    if (block_.size() < sizeof(T)) throw SerializationError("received Value is too small for T");
  }
  internal::SharedBlock block_;
};

template <typename T>
class Value {
 public:
  explicit Value(T initial = T{}) : value_(initial) {}

  T get() const {
    std::lock_guard<RLock> hold(lock_);
    return value_.get();
  }
  void set(const T& value) {
    std::lock_guard<RLock> hold(lock_);
    value_.set(value);
  }
  RLock& get_lock() const { return lock_; }
  const RawValue<T>& get_obj() const { return value_; }

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(value_, lock_);
  }
  static Value LoadFromArchive(internal::InputArchive& archive) {
    RawValue<T> value = RawValue<T>::LoadFromArchive(archive);
    return Value(std::move(value), RLock::LoadFromArchive(archive));
  }

 private:
  Value(RawValue<T> value, RLock lock) : value_(std::move(value)), lock_(std::move(lock)) {}
  RawValue<T> value_;
  mutable RLock lock_;
};

template <typename T>
class RawArray {
  static_assert(std::is_trivially_copyable_v<T>,
                "multiproc::RawArray<T>/Array<T>: T must be trivially copyable, because it lives "
                "in shared memory as raw bytes; use a Manager for other types");

 public:
  // `size` zero-filled elements. ValueError for a size of zero (Python allows empty arrays;
  // shared memory cannot be empty).
  explicit RawArray(size_t size) : block_(Allocate(size)), size_(size) {}

  size_t size() const { return size_; }
  // Unchecked element access, as for std::vector.
  T& operator[](size_t index) const { return data()[index]; }
  // Checked access: std::out_of_range past the end.
  T& at(size_t index) const {
    if (index >= size_) {
      throw std::out_of_range("multiproc::RawArray index " + std::to_string(index) +
                              " out of range for size " + std::to_string(size_));
    }
    return data()[index];
  }
  std::span<T> span() const { return {data(), size_}; }
  T* data() const { return static_cast<T*>(block_.data()); }

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(block_, size_);
    if (block_.size() < size_ * sizeof(T)) {
      throw SerializationError("received Array is smaller than its element count");
    }
  }
  static RawArray LoadFromArchive(internal::InputArchive& archive) {
    RawArray array;
    array.serialize(archive);
    return array;
  }

 private:
  RawArray() = default;
  static internal::SharedBlock Allocate(size_t size) {
    if (size == 0) throw ValueError("multiproc::RawArray: size must be positive");
    if (size > (size_t{1} << 48) / sizeof(T)) throw ValueError("multiproc::RawArray: too large");
    return internal::SharedBlock::Allocate(size * sizeof(T), alignof(T));
  }
  internal::SharedBlock block_;
  size_t size_ = 0;
};

template <typename T>
class Array {
 public:
  explicit Array(size_t size) : array_(size) {}

  size_t size() const { return array_.size(); }
  // Locked single-element access; std::out_of_range past the end.
  T get(size_t index) const {
    std::lock_guard<RLock> hold(lock_);
    return array_.at(index);
  }
  void set(size_t index, const T& value) {
    std::lock_guard<RLock> hold(lock_);
    array_.at(index) = value;
  }
  RLock& get_lock() const { return lock_; }
  // The unsynchronized array (Python's get_obj()); hold get_lock() around multi-element work.
  const RawArray<T>& get_obj() const { return array_; }

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(array_, lock_);
  }
  static Array LoadFromArchive(internal::InputArchive& archive) {
    RawArray<T> array = RawArray<T>::LoadFromArchive(archive);
    return Array(std::move(array), RLock::LoadFromArchive(archive));
  }

 private:
  Array(RawArray<T> array, RLock lock) : array_(std::move(array)), lock_(std::move(lock)) {}
  RawArray<T> array_;
  mutable RLock lock_;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_SHAREDCTYPES_H_
