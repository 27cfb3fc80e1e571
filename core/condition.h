// Condition: Python's multiprocessing.Condition, a condition variable shared between processes.
// It is built on a Lock or RLock (an RLock by default, as in Python) and travels to children as
// a Process argument or to running processes like any lock; every copy is the same condition.
//
//   void Consumer(multiproc::Condition ready, multiproc::Value<int> items) {
//     std::lock_guard<multiproc::Condition> hold(ready);
//     ready.wait_for([&] { return items.get_obj().get() > 0; }, absl::Seconds(5));
//   }
//   // producer: { std::lock_guard<multiproc::Condition> hold(ready); ...; ready.notify(); }
//
// wait(timeout) returns false when the timeout expired first; wait_for returns the predicate's
// last value; notify(n) wakes up to n waiters, notify_all() all of them. Calling wait or notify
// without holding the lock raises AssertionError, as CPython does.
//
// Owner death (CPython hangs here): notify() holds the lock until the waiters it woke have left
// their wait, as CPython's does, but it checks every 100 ms whether they still live, so a waiter
// killed with kill -9 / TerminateProcess never leaves a notifier stuck; a holder of the lock that
// dies is handled by the lock's own recovery (owner_died()). Up to kMaxWaiters (4096) threads may
// wait on one Condition at once (their pids are recorded to check their liveness); one more raises
// ValueError.
#ifndef MULTIPROC_CORE_CONDITION_H_
#define MULTIPROC_CORE_CONDITION_H_

#include <cstddef>
#include <optional>
#include <type_traits>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/semlock.h"
#include "core/shared_heap.h"
#include "core/synchronize.h"
#include "core/timeout.h"

namespace multiproc {

class Condition;
namespace internal {
// How many threads, in any process, are inside wait() on `condition` now: enlisted, so that a
// notify from now on wakes them. For tests that must not notify before their waiters wait.
size_t ThreadsWaitingOn(const Condition& condition);
}  // namespace internal

class Condition : public internal::LockOperations {
 public:
  // Threads of all processes together; each costs 16 bytes of shared memory, and scans cover
  // only the entries ever used, so a large table costs little when few wait.
  static constexpr size_t kMaxWaiters = 4096;

  // Python's Condition(lock=None): a fresh RLock.
  Condition();
  explicit Condition(const Lock& lock);
  explicit Condition(const RLock& lock);

  // acquire(block, timeout), release() and lock()/unlock()/try_lock() act on the lock.

  // True if the last acquire of the lock in this process (wait's re-acquire included) took it
  // from an owner that had died.
  bool owner_died() const { return lock_.owner_died(); }

  // Releases the lock, sleeps until notified or `timeout` passes, re-acquires the lock. True if
  // notified, false on timeout.
  bool wait(Timeout timeout = std::nullopt);

  // Waits until `predicate()` is true or `timeout` passes; returns the predicate's last value.
  template <typename Predicate>
  std::invoke_result_t<Predicate&> wait_for(Predicate predicate, Timeout timeout = std::nullopt) {
    auto result = predicate();
    std::optional<absl::Time> deadline;
    if (timeout.has_value()) deadline = absl::Now() + *timeout;
    while (!result) {
      std::optional<absl::Duration> remaining;
      if (deadline.has_value()) {
        remaining = *deadline - absl::Now();
        if (*remaining <= absl::ZeroDuration()) break;
      }
      wait(remaining);
      result = predicate();
    }
    return result;
  }

  // Wakes up to `n` of the threads waiting now.
  void notify(size_t n = 1);
  void notify_all();

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(lock_, wait_semaphore_, woken_signal_, waiters_);
  }
  static Condition LoadFromArchive(internal::InputArchive& archive);

 private:
  struct Waiter;
  struct Waiters;
  friend class Barrier;  // builds a received Condition in place
  friend size_t internal::ThreadsWaitingOn(const Condition& condition);
  struct Received {};
  explicit Condition(Received) {}  // lock_ is the user's Lock or RLock
  explicit Condition(internal::SemLock lock);
  Waiters& waiters() const;
  Waiter& Enlist();
  static bool WaiterDied(const Waiter& waiter);

  internal::SemLock wait_semaphore_;  // one unit per waiter a notify wakes
  internal::SemLock woken_signal_;    // released by each waiter leaving wait: notify's wake-up
  internal::SharedBlock waiters_;     // who waits, to count who left and who died
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_CONDITION_H_
