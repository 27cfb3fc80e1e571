// Process-shared synchronization with Python's semantics: Lock, RLock, Semaphore,
// BoundedSemaphore. Make them in the parent and hand them to children (as Process arguments,
// Pool initargs, or to a running process); every copy refers to the same lock.
//
//   void Work(multiproc::Lock lock, multiproc::Value<int> counter) {
//     std::lock_guard<multiproc::Lock> hold(lock);  // lock()/unlock()/try_lock() are provided
//     counter.set(counter.get() + 1);
//   }
//
// acquire(block = true, timeout = nullopt) returns whether the lock was taken, as in Python.
// Releasing a Lock that is not held raises ValueError; releasing an RLock this thread does not
// own raises AssertionError; a BoundedSemaphore released above its initial value raises
// ValueError. A Lock may be released by another process than the one that acquired it (CPython
// allows it too).
//
// Owner death (CPython and Boost.Interprocess deadlock here): if a process dies holding a Lock
// or RLock, the next acquirer gets it within about 100 ms and owner_died() returns true, so it
// can repair whatever the dead owner left half-done. On Linux an uncontended acquire and
// release make no system call.
#ifndef MULTIPROC_CORE_SYNCHRONIZE_H_
#define MULTIPROC_CORE_SYNCHRONIZE_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "core/semlock.h"
#include "core/timeout.h"

namespace multiproc {

namespace internal {
// Python's acquire/release (and the C++ Lockable names) over one SemLock: the shared body of the
// four lock classes and of Condition.
class LockOperations {
 public:
  bool acquire(bool block = true, Timeout timeout = std::nullopt) {
    return lock_.Acquire(block, timeout);
  }
  void release() { lock_.Release(); }

  // For std::lock_guard / std::unique_lock.
  void lock() { acquire(); }
  void unlock() { release(); }
  bool try_lock() { return acquire(false); }

  // The shared lock itself, for Condition (which waits on and releases the very same lock).
  const SemLock& semlock() const { return lock_; }

 protected:
  LockOperations() = default;
  explicit LockOperations(SemLock lock) : lock_(std::move(lock)) {}
  SemLock lock_;
};

template <SemLock::Kind kKind>
class LockBase : public LockOperations {
 public:
  template <typename Archive>
  void serialize(Archive& archive) {
    archive(lock_);
  }

 protected:
  LockBase(uint32_t value, uint32_t maximum) : LockOperations(SemLock(kKind, value, maximum)) {}
  explicit LockBase(SemLock lock) : LockOperations(std::move(lock)) {}
};
}  // namespace internal

class Lock : public internal::LockBase<internal::SemLock::Kind::kLock> {
 public:
  Lock() : LockBase(1, 1) {}
  // True if the last acquire in this process took the lock from an owner that had died.
  bool owner_died() const { return lock_.owner_died(); }
  // Builds a received Lock without first making a new one (see ArgumentLoader).
  static Lock LoadFromArchive(internal::InputArchive& archive) {
    return Lock(internal::SemLock::Load(archive));
  }

 private:
  explicit Lock(internal::SemLock lock) : LockBase(std::move(lock)) {}
};

class RLock : public internal::LockBase<internal::SemLock::Kind::kRecursiveLock> {
 public:
  RLock() : LockBase(1, 1) {}
  bool owner_died() const { return lock_.owner_died(); }
  // How many times the calling thread holds it (0 if it does not).
  uint32_t recursion_count() const { return lock_.RecursionCount(); }
  static RLock LoadFromArchive(internal::InputArchive& archive) {
    return RLock(internal::SemLock::Load(archive));
  }

 private:
  explicit RLock(internal::SemLock lock) : LockBase(std::move(lock)) {}
};

class Semaphore : public internal::LockBase<internal::SemLock::Kind::kSemaphore> {
 public:
  // Counts up to 2^31 - 1 on every platform (Windows' limit).
  explicit Semaphore(uint32_t value = 1) : LockBase(value, 0x7fffffff) {}
  static Semaphore LoadFromArchive(internal::InputArchive& archive) {
    return Semaphore(internal::SemLock::Load(archive));
  }

 private:
  explicit Semaphore(internal::SemLock lock) : LockBase(std::move(lock)) {}
};

class BoundedSemaphore : public internal::LockBase<internal::SemLock::Kind::kBoundedSemaphore> {
 public:
  explicit BoundedSemaphore(uint32_t value = 1) : LockBase(value, value) {}
  static BoundedSemaphore LoadFromArchive(internal::InputArchive& archive) {
    return BoundedSemaphore(internal::SemLock::Load(archive));
  }

 private:
  explicit BoundedSemaphore(internal::SemLock lock) : LockBase(std::move(lock)) {}
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_SYNCHRONIZE_H_
