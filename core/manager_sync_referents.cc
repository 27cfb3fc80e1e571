// Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event and Barrier, server side. Python's
// semantics; a Lock or RLock whose holder's connection closes (its process died) is released, so
// the next acquirer is not stuck for ever.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "core/managers/builtin_referents.h"

namespace multiproc::internal::manager {
namespace {

// The state shared by RLock and Condition: an owner (a token naming a client thread) and a
// recursion count. Lock uses it with recursion refused.
class OwnedLock {
 public:
  explicit OwnedLock(bool recursive) : recursive_(recursive) {}

  bool Acquire(std::unique_lock<std::mutex>& lock, const std::string& owner, uint64_t client,
               bool block, const Timeout& timeout) {
    if (recursive_ && count_ > 0 && owner_ == owner) {
      ++count_;
      return true;
    }
    bool free =
        block ? WaitFor(changed_, lock, timeout, [this] { return count_ == 0; }) : count_ == 0;
    if (!free) return false;
    owner_ = owner;
    client_ = client;
    count_ = 1;
    return true;
  }

  void Release(const std::string& owner) {
    if (count_ == 0 && recursive_) throw AssertionError("cannot release un-acquired lock");
    if (count_ == 0) throw ValueError("release unlocked lock");
    if (recursive_ && owner_ != owner) throw AssertionError("cannot release un-acquired lock");
    if (--count_ == 0) changed_.notify_one();
  }

  // Releases completely (Condition.wait); returns the count to restore.
  int64_t ReleaseAll(const std::string& owner) {
    if (count_ == 0 || owner_ != owner) throw AssertionError("cannot wait on un-acquired lock");
    int64_t count = count_;
    count_ = 0;
    changed_.notify_one();
    return count;
  }
  void Restore(std::unique_lock<std::mutex>& lock, const std::string& owner, uint64_t client,
               int64_t count) {
    changed_.wait(lock, [this] { return count_ == 0; });
    owner_ = owner;
    client_ = client;
    count_ = count;
  }

  bool OwnedBy(const std::string& owner) const { return count_ > 0 && owner_ == owner; }

  void ClientGone(uint64_t client) {
    if (count_ > 0 && client_ == client) {
      count_ = 0;
      changed_.notify_one();
    }
  }

 private:
  bool recursive_;
  std::condition_variable changed_;
  std::string owner_;
  uint64_t client_ = 0;
  int64_t count_ = 0;
};

// Lock ("acquire"(block, timeout), "release"()) and RLock (the same with an owner token first).
class LockReferent : public Referent {
 public:
  explicit LockReferent(bool recursive) : recursive_(recursive), lock_(recursive) {}

  std::string Call(CallContext& context, const std::string& method,
                   const std::string& args) override {
    std::unique_lock<std::mutex> hold(mutex_);
    if (method == "acquire") {
      auto [owner, block, timeout] = DecodeArgs<std::string, bool, Timeout>(args);
      return EncodeResult(lock_.Acquire(hold, owner, context.client(), block, timeout));
    }
    if (method == "release") {
      auto [owner] = DecodeArgs<std::string>(args);
      lock_.Release(owner);
      return {};
    }
    return CallOther(context, hold, method, args);
  }

  void ClientGone(uint64_t client) override {
    std::lock_guard<std::mutex> hold(mutex_);
    lock_.ClientGone(client);
  }

 protected:
  // The methods beyond acquire and release (a Condition's), called with the mutex held.
  virtual std::string CallOther(CallContext&, std::unique_lock<std::mutex>&,
                                const std::string& method, const std::string&) {
    UnknownMethod(recursive_ ? "RLock" : "Lock", method);
  }

  std::mutex mutex_;
  bool recursive_;
  OwnedLock lock_;
};

class SemaphoreReferent : public Referent {
 public:
  SemaphoreReferent(int64_t value, bool bounded)
      : value_(value), initial_(value), bounded_(bounded) {}

  std::string Call(CallContext&, const std::string& method, const std::string& args) override {
    std::unique_lock<std::mutex> hold(mutex_);
    if (method == "acquire") {
      auto [block, timeout] = DecodeArgs<bool, Timeout>(args);
      bool available =
          block ? WaitFor(changed_, hold, timeout, [this] { return value_ > 0; }) : value_ > 0;
      if (available) --value_;
      return EncodeResult(available);
    }
    if (method == "release") {
      if (bounded_ && value_ >= initial_) throw ValueError("Semaphore released too many times");
      ++value_;
      changed_.notify_one();
      return {};
    }
    if (method == "get_value") return EncodeResult(value_);
    UnknownMethod(bounded_ ? "BoundedSemaphore" : "Semaphore", method);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int64_t value_, initial_;
  bool bounded_;
};

class EventReferent : public Referent {
 public:
  std::string Call(CallContext&, const std::string& method, const std::string& args) override {
    std::unique_lock<std::mutex> hold(mutex_);
    if (method == "set") {
      flag_ = true;
      changed_.notify_all();
      return {};
    }
    if (method == "clear") {
      flag_ = false;
      return {};
    }
    if (method == "is_set") return EncodeResult(flag_);
    if (method == "wait") {
      auto [timeout] = DecodeArgs<Timeout>(args);
      return EncodeResult(WaitFor(changed_, hold, timeout, [this] { return flag_; }));
    }
    UnknownMethod("Event", method);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool flag_ = false;
};

// Condition over its own RLock: acquire/release/wait/notify/notify_all, each naming its owner.
class ConditionReferent : public LockReferent {
 public:
  ConditionReferent() : LockReferent(true) {}

 protected:
  std::string CallOther(CallContext& context, std::unique_lock<std::mutex>& hold,
                        const std::string& method, const std::string& args) override {
    if (method == "wait") {
      auto [owner, timeout] = DecodeArgs<std::string, Timeout>(args);
      auto waiter = std::make_shared<bool>(false);
      int64_t count = lock_.ReleaseAll(owner);
      waiters_.push_back(waiter);
      bool notified = WaitFor(notified_, hold, timeout, [&waiter] { return *waiter; });
      if (!notified) std::erase(waiters_, waiter);
      lock_.Restore(hold, owner, context.client(), count);
      return EncodeResult(notified);
    }
    if (method == "notify") {
      auto [owner, n] = DecodeArgs<std::string, int64_t>(args);
      Notify(owner, n);
      return {};
    }
    if (method == "notify_all") {
      auto [owner] = DecodeArgs<std::string>(args);
      Notify(owner, static_cast<int64_t>(waiters_.size()));
      return {};
    }
    UnknownMethod("Condition", method);
  }

 private:
  void Notify(const std::string& owner, int64_t n) {
    if (!lock_.OwnedBy(owner)) throw AssertionError("cannot notify on un-acquired lock");
    for (; n > 0 && !waiters_.empty(); --n) {
      *waiters_.front() = true;
      waiters_.pop_front();
    }
    notified_.notify_all();
  }

  std::condition_variable notified_;
  std::deque<std::shared_ptr<bool>> waiters_;
};

// threading.Barrier: wait() returns the arrival index (0 .. parties-1); abort() and a timed-out
// wait break it (BrokenBarrierError for everyone waiting and later) until reset().
class BarrierReferent : public Referent {
 public:
  BarrierReferent(int64_t parties, Timeout timeout) : parties_(parties), timeout_(timeout) {}

  std::string Call(CallContext&, const std::string& method, const std::string& args) override {
    std::unique_lock<std::mutex> hold(mutex_);
    if (method == "wait") {
      auto [timeout] = DecodeArgs<Timeout>(args);
      if (broken_) throw BrokenBarrierError("the barrier is broken");
      int64_t index = count_++;
      uint64_t generation = generation_, epoch = epoch_;
      if (count_ == parties_) {
        count_ = 0;
        ++generation_;
        changed_.notify_all();
        return EncodeResult(index);
      }
      bool passed = WaitFor(changed_, hold, timeout ? timeout : timeout_, [&] {
        return generation_ != generation || broken_ || epoch_ != epoch;
      });
      if (epoch_ != epoch) throw BrokenBarrierError("the barrier was reset while waiting");
      if (generation_ != generation) return EncodeResult(index);
      if (!passed) Break();
      --count_;
      throw BrokenBarrierError("the barrier is broken");
    }
    if (method == "abort") {
      Break();
      return {};
    }
    if (method == "reset") {
      if (count_ > 0) ++epoch_;  // the current waiters fail; later ones start afresh
      broken_ = false;
      count_ = 0;
      changed_.notify_all();
      return {};
    }
    if (method == "parties") return EncodeResult(parties_);
    if (method == "n_waiting") return EncodeResult(count_);
    if (method == "broken") return EncodeResult(broken_);
    UnknownMethod("Barrier", method);
  }

 private:
  void Break() {
    broken_ = true;
    changed_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  int64_t parties_;
  Timeout timeout_;
  int64_t count_ = 0;
  uint64_t generation_ = 0;  // advances when a full set of parties passes
  uint64_t epoch_ = 0;       // advances when reset() fails the current waiters
  bool broken_ = false;
};

}  // namespace

void AddSyncTypes(ManagerTypes& types) {
  types.add_factory("Lock", [](const std::string&, const std::string&) {
    return std::unique_ptr<Referent>(new LockReferent(false));
  });
  types.add_factory("RLock", [](const std::string&, const std::string&) {
    return std::unique_ptr<Referent>(new LockReferent(true));
  });
  for (bool bounded : {false, true}) {
    types.add_factory(bounded ? "BoundedSemaphore" : "Semaphore",
                      [bounded](const std::string&, const std::string& args) {
                        auto [value] = DecodeArgs<int64_t>(args);
                        if (value < 0) throw ValueError("semaphore initial value must be >= 0");
                        return std::unique_ptr<Referent>(new SemaphoreReferent(value, bounded));
                      });
  }
  types.add_factory("Event", [](const std::string&, const std::string&) {
    return std::unique_ptr<Referent>(new EventReferent());
  });
  types.add_factory("Condition", [](const std::string&, const std::string&) {
    return std::unique_ptr<Referent>(new ConditionReferent());
  });
  types.add_factory("Barrier", [](const std::string&, const std::string& args) {
    auto [parties, timeout] = DecodeArgs<int64_t, Timeout>(args);
    if (parties < 1) throw ValueError("a barrier needs at least one party");
    return std::unique_ptr<Referent>(new BarrierReferent(parties, timeout));
  });
}

}  // namespace multiproc::internal::manager
