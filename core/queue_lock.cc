#include "core/queue_lock.h"

#include "core/queue_wakeup.h"
#include "platform/process.h"

namespace multiproc::internal {

bool QueueLock::TryTake(int64_t self) {
  int64_t expected = 0;
  return shared_.owner.load(std::memory_order_relaxed) == 0 &&
         shared_.owner.compare_exchange_strong(expected, self);
}

// The compare-exchange makes exactly one waiter the heir of a dead owner.
bool QueueLock::TryTakeOverFromDeadOwner(int64_t self) {
  int64_t owner = shared_.owner.load();
  if (owner == 0 || owner == self || platform::IsProcessAlive(owner)) return false;
  return shared_.owner.compare_exchange_strong(owner, self);
}

bool QueueLock::Acquire(int64_t self, absl::Time deadline) {
  if (SpinUntil([&] { return TryTake(self); })) return true;
  for (;;) {
    absl::Time until = std::min(deadline, absl::Now() + kPollInterval);
    if (SleepUntil(shared_.waiters, signal_, until, [&] { return TryTake(self); })) return true;
    if (TryTakeOverFromDeadOwner(self)) return true;
    if (absl::Now() >= deadline) return false;
  }
}

void QueueLock::Release() {
  shared_.owner.store(0);
  NotifyOne(shared_.waiters, signal_);
}

}  // namespace multiproc::internal
