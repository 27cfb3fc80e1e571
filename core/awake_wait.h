// Waiting awake, briefly, for a message that is usually microseconds away. On an idle machine a
// process asleep in the kernel takes tens of microseconds to be woken: on the 2-core development
// VM a socketpair round trip costs 69 µs when both sides sleep in read() and 4 µs when they poll,
// and a manager request itself costs less than either. So a proxy call polls its connection for
// the reply, and a manager server's connection thread for its client's next request, for up to
// kAwakeWait before sleeping in the blocking read. A message that comes later costs at most that
// much CPU time more. Each poll yields the CPU to any thread waiting for it: with more waiters
// than cores (a manager Queue with a producer and a consumer on 2 cores), spinning without
// yielding took the CPU from the threads doing the work and cut throughput to a third.
#ifndef MULTIPROC_CORE_AWAKE_WAIT_H_
#define MULTIPROC_CORE_AWAKE_WAIT_H_

#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/connection.h"

namespace multiproc::internal {

inline constexpr absl::Duration kAwakeWait = absl::Microseconds(50);

// Returns once `connection` has a message (or its end) to read, or after kAwakeWait.
inline void PollAwakeBriefly(Connection& connection) {
  const absl::Time give_up = absl::Now() + kAwakeWait;
  while (!connection.poll(absl::ZeroDuration()) && absl::Now() < give_up) {
    std::this_thread::yield();
  }
}

}  // namespace multiproc::internal

#endif  // MULTIPROC_CORE_AWAKE_WAIT_H_
