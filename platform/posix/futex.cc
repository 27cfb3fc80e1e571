// POSIX only (Linux): shared (not FUTEX_PRIVATE) futexes, so waiters in different processes that
// map the same page meet on the same word.
#include "platform/posix/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "absl/time/clock.h"

namespace multiproc::platform::posix {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
                  std::atomic<uint32_t>::is_always_lock_free,
              "futex words must be plain lock-free 32-bit atomics");

absl::Status FutexWait(std::atomic<uint32_t>* word, uint32_t expected, absl::Time deadline) {
  timespec relative{};
  timespec* timeout = nullptr;
  if (deadline != absl::InfiniteFuture()) {
    absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) return absl::OkStatus();
    relative = absl::ToTimespec(remaining);
    timeout = &relative;
  }
  long result = ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected,
                          timeout, nullptr, 0);
  if (result < 0 && errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT) {
    return absl::ErrnoToStatus(errno, "futex(FUTEX_WAIT)");
  }
  return absl::OkStatus();
}

void FutexWake(std::atomic<uint32_t>* word, int count) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, count, nullptr, nullptr, 0);
}

}  // namespace multiproc::platform::posix
