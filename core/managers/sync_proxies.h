// Proxies for the managed synchronization objects (Python's manager.Lock(), RLock(),
// Semaphore(), BoundedSemaphore(), Condition(), Event(), Barrier()), with the semantics of the
// direct objects (synchronize.h): acquire(block, timeout) returns whether it got the lock,
// releasing an unheld Lock is a ValueError, an RLock or Condition used by a thread that does not
// own it an AssertionError, a BoundedSemaphore released too often a ValueError, a broken Barrier
// a BrokenBarrierError.
//
//   multiproc::LockProxy lock = manager.Lock();
//   { std::lock_guard<multiproc::LockProxy> hold(lock); numbers.append(1); }
//
// The objects live in the manager's server; a Lock whose holder's process dies (its connection
// closes) is released, so the next acquirer does not wait for ever.
#ifndef MULTIPROC_CORE_MANAGERS_SYNC_PROXIES_H_
#define MULTIPROC_CORE_MANAGERS_SYNC_PROXIES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/proxy.h"
#include "core/timeout.h"

namespace multiproc {

class BaseManager;

namespace internal::manager {

// acquire/release and the std::lock_guard interface shared by the lock proxies. kOwned: the
// server checks which thread owns it (RLock, Condition).
template <bool kOwned>
class AcquirerProxy : public BaseProxy {
 public:
  AcquirerProxy() = default;

  bool acquire(bool block = true, Timeout timeout = std::nullopt) {
    return CallFor<bool>("acquire", Owner(), block, Nanoseconds(timeout));
  }
  void release() { Invoke("release", Owner()); }
  void lock() { acquire(); }
  void unlock() { release(); }
  bool try_lock() { return acquire(false); }

 protected:
  using BaseProxy::BaseProxy;
  static std::string Owner() { return kOwned ? ThreadToken() : std::string(); }
};

}  // namespace internal::manager

class LockProxy : public internal::manager::AcquirerProxy<false> {
 public:
  LockProxy() = default;

 private:
  friend class BaseManager;
  using AcquirerProxy::AcquirerProxy;
};

class RLockProxy : public internal::manager::AcquirerProxy<true> {
 public:
  RLockProxy() = default;

 private:
  friend class BaseManager;
  using AcquirerProxy::AcquirerProxy;
};

// Semaphore and BoundedSemaphore.
class SemaphoreProxy : public BaseProxy {
 public:
  SemaphoreProxy() = default;
  bool acquire(bool block = true, Timeout timeout = std::nullopt) {
    return CallFor<bool>("acquire", block, internal::manager::Nanoseconds(timeout));
  }
  void release() { Invoke("release"); }
  int64_t get_value() const { return CallFor<int64_t>("get_value"); }
  void lock() { acquire(); }
  void unlock() { release(); }
  bool try_lock() { return acquire(false); }

 private:
  friend class BaseManager;
  using BaseProxy::BaseProxy;
};

class ConditionProxy : public internal::manager::AcquirerProxy<true> {
 public:
  ConditionProxy() = default;

  // Releases the lock, waits for a notify (or the timeout), reacquires; whether notified.
  bool wait(Timeout timeout = std::nullopt) {
    return CallFor<bool>("wait", Owner(), internal::manager::Nanoseconds(timeout));
  }
  // Waits until predicate() holds, or the timeout; returns the last value of predicate().
  template <typename Predicate>
  bool wait_for(Predicate predicate, Timeout timeout = std::nullopt) {
    std::optional<absl::Time> deadline;
    if (timeout) deadline = absl::Now() + *timeout;
    bool result = predicate();
    while (!result) {
      std::optional<absl::Duration> left;
      if (deadline) {
        left = *deadline - absl::Now();
        if (*left <= absl::ZeroDuration()) break;
      }
      wait(left);
      result = predicate();
    }
    return result;
  }
  void notify(int64_t n = 1) { Invoke("notify", Owner(), n); }
  void notify_all() { Invoke("notify_all", Owner()); }

 private:
  friend class BaseManager;
  using AcquirerProxy::AcquirerProxy;
};

class EventProxy : public BaseProxy {
 public:
  EventProxy() = default;
  void set() { Invoke("set"); }
  void clear() { Invoke("clear"); }
  bool is_set() const { return CallFor<bool>("is_set"); }
  // Whether the flag is set, once it is or when the timeout expires.
  bool wait(Timeout timeout = std::nullopt) {
    return CallFor<bool>("wait", internal::manager::Nanoseconds(timeout));
  }

 private:
  friend class BaseManager;
  using BaseProxy::BaseProxy;
};

class BarrierProxy : public BaseProxy {
 public:
  BarrierProxy() = default;
  // The arrival index (0 .. parties-1). BrokenBarrierError if the barrier is or becomes broken
  // (abort, reset, a timeout here or elsewhere).
  int64_t wait(Timeout timeout = std::nullopt) {
    return CallFor<int64_t>("wait", internal::manager::Nanoseconds(timeout));
  }
  void abort() { Invoke("abort"); }
  void reset() { Invoke("reset"); }
  int64_t parties() const { return CallFor<int64_t>("parties"); }
  int64_t n_waiting() const { return CallFor<int64_t>("n_waiting"); }
  bool broken() const { return CallFor<bool>("broken"); }

 private:
  friend class BaseManager;
  using BaseProxy::BaseProxy;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_MANAGERS_SYNC_PROXIES_H_
