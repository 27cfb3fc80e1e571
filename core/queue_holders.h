// Which processes hold a queue, kept in the queue's shared memory, so that a get() that can never
// be satisfied raises EOFError instead of hanging (CPython's Queue.get() waits forever when every
// producer has died). Each entry is a holder's pid, or a copy "in flight": serialized by one
// process and not yet rebuilt by its receiver (a Process argument before the child starts, an
// object on its way to a running process), so a getter does not give up on a child that has not
// started yet.
//
//   QueueHolders holders(&shared->holders);
//   holders.RegisterCreator(CurrentProcessId());
//   QueueHolders::InFlight copy = holders.BeginTransfer();   // in Save
//   holders.CompleteTransfer(copy, receiver_pid);            // in the receiver's Load
//   if (!holders.SomeoneElseMayPut(CurrentProcessId())) throw EOFError(...);
//
// Limits, all on the safe side (they make get() block as in Python, never raise early): a table
// that overflowed (more than kEntries live holders) stops answering "nobody"; an in-flight copy
// counts as a possible producer for kInFlightLifetime; a pid reused by an unrelated process counts
// as alive. Threads of the calling process are not holders of their own: a queue that never left
// its process never raises EOFError.
#ifndef MULTIPROC_CORE_QUEUE_HOLDERS_H_
#define MULTIPROC_CORE_QUEUE_HOLDERS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace multiproc::internal {

class QueueHolders {
 public:
  static constexpr size_t kEntries = 64;
  static constexpr absl::Duration kInFlightLifetime = absl::Seconds(30);

  // The shared layout; zero-filled memory is an empty table.
  struct Entry {
    // 0: free; > 0: a holder's pid; kBusy: being changed; other negative values: -token of a
    // copy in flight.
    std::atomic<int64_t> pid;
    std::atomic<int64_t> in_flight_since_ns;  // when the copy in flight left its sender
    std::atomic<uint32_t> closed;             // the holder called close(): it puts no more
    uint32_t reserved;
  };
  struct Shared {
    std::atomic<uint64_t> next_token;
    std::atomic<uint32_t> overflowed;
    std::atomic<uint32_t>
        left_its_creator;  // some copy reached (or is on its way to) another process
    Entry entries[kEntries];
  };

  // A reservation for the receiver of a serialized copy.
  struct InFlight {
    uint32_t index = 0;
    uint64_t token = 0;  // 0: the table was full; the receiver registers on its own
  };

  explicit QueueHolders(Shared* shared) : shared_(shared) {}

  // The process that made the queue. Idempotent.
  void RegisterCreator(int64_t pid);
  // A process that uses the queue without having received it through Load (a fork child running
  // a capturing lambda). Idempotent.
  void Register(int64_t pid);
  InFlight BeginTransfer();
  void CompleteTransfer(InFlight copy, int64_t pid);
  void MarkClosed(int64_t pid);

  // False only when every holder other than `self` has exited or closed the queue and no copy is
  // in flight: nothing more can be put except by `self`.
  bool SomeoneElseMayPut(int64_t self) const;

 private:
  static constexpr int64_t kBusy = -1;
  Entry* Find(int64_t pid) const;
  // Claims a free entry (reclaiming dead holders and expired copies if none is free) and stores
  // `value` in it; nullptr when the table is full of live entries (then `overflowed` is set).
  Entry* Claim(int64_t value);
  Entry* ClaimFree(int64_t value);
  void ReclaimStale();

  Shared* shared_;
};

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_QUEUE_HOLDERS_H_
