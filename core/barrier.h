// Barrier: Python's multiprocessing.Barrier, a rendezvous of `parties` threads or processes.
// Each party calls wait(); all are released together once the last arrives, and each gets a
// distinct index in 0..parties-1. Make it in the parent and hand it to the parties (as a Process
// argument or to a running process).
//
//   void Report() { std::puts("all arrived"); }  // the action: run once per round
//   void Party(multiproc::Barrier barrier) {
//     size_t index = barrier.wait();  // BrokenBarrierError if aborted, reset or timed out
//   }
//   multiproc::Barrier barrier(3, Report, absl::Seconds(10));
//
// As in Python: a wait that times out breaks the barrier for everyone (BrokenBarrierError);
// abort() breaks it, reset() returns it to its initial state (breaking current waiters);
// an exception thrown by the action breaks it and reaches the party that ran the action.
// Beyond Python: a party killed inside wait() breaks the barrier for the others within about
// 100 ms (CPython's would hang until each waiter's timeout, or forever).
//
// The action is a plain function (or capture-less lambda): it travels to spawned children by
// name, like a Process target.
#ifndef MULTIPROC_CORE_BARRIER_H_
#define MULTIPROC_CORE_BARRIER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "core/condition.h"
#include "core/shared_heap.h"
#include "core/timeout.h"

namespace multiproc {

class Barrier {
 public:
  struct State;  // in shared memory; defined in barrier.cc
  using Action = void (*)();
  static constexpr size_t kMaxParties = size_t{1} << 20;

  // ValueError if `parties` is 0 or above kMaxParties.
  explicit Barrier(size_t parties, Action action = nullptr, Timeout timeout = std::nullopt);

  // Waits for all parties; returns this party's arrival index. `timeout` defaults to the one
  // given at construction.
  size_t wait(Timeout timeout = std::nullopt);
  void reset();
  void abort();

  size_t parties() const { return parties_; }
  // How many parties wait now.
  size_t n_waiting() const;
  bool broken() const;

  void save(cereal::PortableBinaryOutputArchive& archive) const;
  void load(cereal::PortableBinaryInputArchive& archive);
  static Barrier LoadFromArchive(internal::InputArchive& archive);

 private:
  struct Received {};
  explicit Barrier(Received) : condition_(Condition::Received{}) {}
  State& state() const;
  void Enter();
  void Release();
  void Await(Timeout timeout);
  void Exit();
  void Break();
  int64_t& ClaimSlot();
  void ForgetDeadParties();

  mutable Condition condition_;
  internal::SharedBlock state_;
  size_t parties_ = 0;
  Action action_ = nullptr;
  std::optional<absl::Duration> timeout_;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_BARRIER_H_
