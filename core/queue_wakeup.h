// Sleeping until a condition on shared memory holds, for the queue machinery (core/queue_ring.h,
// core/queue_lock.h): the condition itself lives in shared atomics; a waiter count beside it and
// a counting SemLock only wake sleepers. A sleeper first spins briefly (a producer and a consumer
// that keep pace never enter the kernel), then registers in the waiter count, re-checks and
// sleeps; a notifier changes the condition, then signals only if someone is registered. Both
// sides are sequentially consistent, so no wake-up is lost; a signal nobody takes is a spurious
// wake-up for the next sleeper, who re-checks. Sleeps last at most kPollInterval, so a caller can
// look at what no signal announces (a dead process) that often.
//
//   if (!SleepUntil(shared.data_waiters, data_signal, deadline, [&] { return HasData(); })) ...
//   // producer: publish, then
//   NotifyOne(shared.data_waiters, data_signal);
#ifndef MULTIPROC_CORE_QUEUE_WAKEUP_H_
#define MULTIPROC_CORE_QUEUE_WAKEUP_H_

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/semlock.h"

namespace multiproc::internal {

inline constexpr absl::Duration kPollInterval = absl::Milliseconds(100);

// About a few microseconds of polling before a sleeper enters the kernel.
inline constexpr int kSpinChecks = 256;

inline void SpinPause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls `ready()` for a few microseconds, without looking at the clock: true once it holds.
template <typename Ready>
bool SpinUntil(Ready ready) {
  for (int spin = 0; spin < kSpinChecks; ++spin) {
    if (ready()) return true;
    SpinPause();
  }
  return false;
}

// Waits until `ready()` returns true (then true) or `until` passes (then false). `ready` may
// take something when it succeeds (a lock); it is not called again after it succeeded. Callers
// that expect the condition soon call SpinUntil first.
template <typename Ready>
bool SleepUntil(std::atomic<uint32_t>& waiters, SemLock& signal, absl::Time until, Ready ready) {
  for (;;) {
    if (ready()) return true;
    absl::Time now = absl::Now();
    if (now >= until) return false;
    waiters.fetch_add(1);
    // `ready` may act (take a lock) when it succeeds: never call it again after that.
    bool got = ready();
    if (!got) signal.Acquire(true, std::min(until - now, kPollInterval));
    waiters.fetch_sub(1);
    if (got) return true;
  }
}

// Wakes one registered sleeper, if any. At the semaphore's maximum a signal is not needed.
inline void NotifyOne(const std::atomic<uint32_t>& waiters, SemLock& signal) {
  if (waiters.load() == 0) return;
  try {
    signal.Release();
  } catch (const ValueError&) {
  }
}

inline void NotifyAll(const std::atomic<uint32_t>& waiters, SemLock& signal) {
  for (uint32_t count = waiters.load(); count > 0; --count) {
    try {
      signal.Release();
    } catch (const ValueError&) {
      return;
    }
  }
}

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_QUEUE_WAKEUP_H_
