// The queue's reader and writer locks: a word in the queue's shared memory holding the owner's
// pid, so that taking and releasing it is one atomic operation each (a SemLock costs two reads of
// the clock and a getpid on every acquire, a third of a small item's whole trip). Sleepers wait
// through core/queue_wakeup.h. Owner death: a waiter that finds the owner gone (checked every
// kPollInterval) takes the lock over, as SemLock does; the queue's records are built so that
// whatever the dead owner left half-done is harmless (see core/queue_ring.h).
//
//   QueueLock write(&shared.write_lock, write_signal);
//   if (!write.Acquire(self, deadline)) throw Full(...);
//   ... write ...
//   write.Release();
#ifndef MULTIPROC_CORE_QUEUE_LOCK_H_
#define MULTIPROC_CORE_QUEUE_LOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"
#include "core/semlock.h"

namespace multiproc::internal {

class QueueLock {
 public:
  // The shared layout; zero-filled memory is an unlocked lock.
  struct Shared {
    std::atomic<int64_t> owner;  // the owner's pid, 0 when free
    std::atomic<uint32_t> waiters;
    uint32_t reserved;
  };

  QueueLock(Shared& shared, SemLock& signal) : shared_(shared), signal_(signal) {}

  // Takes the lock for process `self` (its pid); false when `deadline` passed first
  // (absl::InfinitePast() tries once).
  bool Acquire(int64_t self, absl::Time deadline);
  void Release();

 private:
  bool TryTake(int64_t self);
  bool TryTakeOverFromDeadOwner(int64_t self);

  Shared& shared_;
  SemLock& signal_;
};

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_QUEUE_LOCK_H_
