// SemLock: the one shared-memory primitive behind Lock, RLock, Semaphore and BoundedSemaphore,
// as in CPython's synchronize.py. Its state (a platform semaphore plus the owner's pid, thread
// and recursion count) lives in a shared heap block; the Windows kernel semaphore, if any, is
// the one handle that travels with it.
//
// Owner death (beyond CPython, which deadlocks): Lock and RLock record their owner. A waiter
// checks every 100 ms whether the owner still lives; if it died holding the lock, the waiter
// takes the lock over and owner_died() says so.
#ifndef MULTIPROC_CORE_SEMLOCK_H_
#define MULTIPROC_CORE_SEMLOCK_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "absl/time/time.h"
#include "core/serialization.h"
#include "core/shared_heap.h"
#include "core/timeout.h"
#include "platform/semaphore.h"

namespace multiproc::internal {

class SemLock {
 public:
  enum class Kind : uint32_t {
    kSemaphore = 0,
    kBoundedSemaphore = 1,
    kLock = 2,
    kRecursiveLock = 3
  };

  SemLock(Kind kind, uint32_t value, uint32_t maximum);
  SemLock() = default;  // empty, to be assigned from Load

  // Python's acquire(block, timeout): nullopt timeout blocks forever; negative means zero.
  bool Acquire(bool block, Timeout timeout);
  // ValueError when released above the maximum; AssertionError for an RLock not owned here.
  void Release();

  // True if the last acquire in this process took the lock over from an owner that had died.
  bool owner_died() const { return owner_died_->load(std::memory_order_relaxed); }
  // RLock: held by the calling thread of this process; its recursion count.
  bool IsMine() const;
  uint32_t RecursionCount() const;
  // The owner's pid, 0 when not held (Lock and RLock).
  int64_t OwnerPid() const;

  // Deserialization: rebuilds a SemLock from its block and (Windows) semaphore handle.
  static SemLock Load(InputArchive& archive);
  void Save(OutputArchive& archive) const;

 private:
  struct State;
  SemLock(SharedBlock block, std::shared_ptr<platform::Semaphore> semaphore, Kind kind);
  State& state() const;
  bool TryTakeOverFromDeadOwner();
  // Takes a unit of the semaphore within `timeout` and records the new owner.
  bool TakeUnit(absl::Duration timeout);
  void BecomeOwner();
  bool OwnerIsTracked() const { return kind_ == Kind::kLock || kind_ == Kind::kRecursiveLock; }

  SharedBlock block_;
  std::shared_ptr<platform::Semaphore> semaphore_;
  Kind kind_ = Kind::kLock;
  // Atomic: the threads of this process that share the lock write it as they take units (many at
  // once for a semaphore or a Condition's sleepers).
  std::shared_ptr<std::atomic<bool>> owner_died_ = std::make_shared<std::atomic<bool>>(false);
};

inline void save(cereal::PortableBinaryOutputArchive& archive, const SemLock& lock) {
  lock.Save(static_cast<OutputArchive&>(archive));
}
inline void load(cereal::PortableBinaryInputArchive& archive, SemLock& lock) {
  lock = SemLock::Load(static_cast<InputArchive&>(archive));
}

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_SEMLOCK_H_
