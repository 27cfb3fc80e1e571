#include "core/condition.h"

#include <atomic>
#include <new>
#include <span>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "platform/process.h"

namespace multiproc {

namespace {

using internal::SemLock;

// How often a notifier waiting for woken waiters to leave checks whether they still live.
constexpr absl::Duration kLivenessCheckInterval = absl::Milliseconds(100);
constexpr uint32_t kSemaphoreMaximum = 0x7fffffff;

enum WaiterState : uint32_t { kFree = 0, kWaiting = 1, kLeft = 2 };

SemLock NewSemaphore() { return SemLock(SemLock::Kind::kSemaphore, 0, kSemaphoreMaximum); }

void Drain(SemLock& semaphore) {
  while (semaphore.Acquire(false, std::nullopt)) {
  }
}

}  // namespace

// One thread in wait(). Entries are claimed and freed by holders of the lock; the waiter alone
// moves its entry from kWaiting to kLeft, with one store, so a notifier counting entries never
// counts a leaver twice (CPython's separate woken_count semaphore cannot promise that).
struct Condition::Waiter {
  std::atomic<int64_t> pid;
  std::atomic<uint32_t> state;
  uint32_t reserved;
};

struct Condition::Waiters {
  uint32_t used;  // entries [0, used) have been claimed at some time; changed under the lock
  uint32_t reserved;
  Waiter entries[kMaxWaiters];

  std::span<Waiter> InUse() { return std::span<Waiter>(entries, used); }
};

Condition::Condition() : Condition(RLock().semlock()) {}
Condition::Condition(const Lock& lock) : Condition(lock.semlock()) {}
Condition::Condition(const RLock& lock) : Condition(lock.semlock()) {}

Condition::Condition(SemLock lock)
    : LockOperations(std::move(lock)),
      wait_semaphore_(NewSemaphore()),
      woken_signal_(NewSemaphore()),
      waiters_(internal::SharedBlock::Allocate(sizeof(Waiters), alignof(Waiters))) {
  new (waiters_.data()) Waiters{};
}

Condition Condition::LoadFromArchive(internal::InputArchive& archive) {
  Condition condition{Received{}};
  condition.serialize(archive);
  if (condition.waiters_.size() < sizeof(Waiters)) {
    throw SerializationError("a received Condition's state is malformed");
  }
  return condition;
}

Condition::Waiters& Condition::waiters() const {
  if (!waiters_.valid()) throw ValueError("use of an empty Condition");
  return *static_cast<Waiters*>(waiters_.data());
}

// Caller holds the lock.
Condition::Waiter& Condition::Enlist() {
  Waiters& table = waiters();
  auto claim = [](Waiter& waiter) -> Waiter& {
    waiter.pid.store(platform::CurrentProcessId());
    waiter.state.store(kWaiting);
    return waiter;
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (Waiter& waiter : table.InUse()) {
      if (waiter.state.load() == kFree) return claim(waiter);
    }
    if (table.used < kMaxWaiters) return claim(table.entries[table.used++]);
    // Full: entries of waiters that died (before freeing theirs) may be reclaimed.
    for (Waiter& waiter : table.InUse()) {
      if (WaiterDied(waiter)) waiter.state.store(kFree);
    }
  }
  throw ValueError(absl::StrCat("multiproc::Condition: more than ", kMaxWaiters,
                                " threads (of all processes) waiting at once"));
}

bool Condition::WaiterDied(const Waiter& waiter) {
  int64_t pid = waiter.pid.load();
  return pid != platform::CurrentProcessId() && !platform::IsProcessAlive(pid);
}

size_t internal::ThreadsWaitingOn(const Condition& condition) {
  size_t waiting = 0;
  for (const Condition::Waiter& waiter : condition.waiters().InUse()) {
    if (waiter.state.load() == kWaiting) ++waiting;
  }
  return waiting;
}

bool Condition::wait(Timeout timeout) {
  if (!lock_.IsMine()) throw AssertionError("must acquire() condition before using wait()");
  Waiter& me = Enlist();
  uint32_t count = lock_.RecursionCount();
  for (uint32_t i = 0; i < count; ++i) lock_.Release();
  bool notified = wait_semaphore_.Acquire(true, timeout);
  me.state.store(kLeft);
  try {
    woken_signal_.Release();
  } catch (const ValueError&) {
    // The signal is only a wake-up hint; at its maximum it wakes the notifier anyway.
  }
  for (uint32_t i = 0; i < count; ++i) lock_.Acquire(true, std::nullopt);
  me.state.store(kFree);
  return notified;
}

void Condition::notify(size_t n) {
  if (!lock_.IsMine()) throw AssertionError("lock is not owned");
  // Units left behind by a notifier that died midway would wake a future waiter for nothing.
  Drain(wait_semaphore_);
  Drain(woken_signal_);
  std::vector<const Waiter*> sleeping;
  for (Waiter& waiter : waiters().InUse()) {
    if (waiter.state.load() != kWaiting) continue;
    if (WaiterDied(waiter)) {
      waiter.state.store(kFree);  // died waiting; nobody else will free its entry
      continue;
    }
    sleeping.push_back(&waiter);
  }
  size_t to_wake = std::min(n, sleeping.size());
  if (to_wake == 0) return;
  for (size_t i = 0; i < to_wake; ++i) wait_semaphore_.Release();
  // Keep the lock until `to_wake` of the sleepers have left, as CPython does, so that no thread
  // calling wait() later can take a unit meant for them. A sleeper that dies counts as left.
  bool check_liveness = false;
  for (;;) {
    size_t left = 0;
    for (const Waiter* waiter : sleeping) {
      bool gone = waiter->state.load() != kWaiting || (check_liveness && WaiterDied(*waiter));
      left += gone ? 1 : 0;
    }
    if (left >= to_wake) break;
    check_liveness = !woken_signal_.Acquire(true, kLivenessCheckInterval);
  }
  // Units not taken because their sleeper timed out (or died) must not wake a later waiter.
  Drain(wait_semaphore_);
}

void Condition::notify_all() { notify(kMaxWaiters); }

}  // namespace multiproc
