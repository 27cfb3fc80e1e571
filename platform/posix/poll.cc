// POSIX only: poll(2) with a deadline that survives EINTR.
#include "platform/posix/poll.h"

#include <poll.h>

#include <cerrno>
#include <climits>

#include "absl/time/clock.h"

namespace multiproc::platform::posix {

namespace {
// poll's millisecond timeout, rounded up so a wait never ends before its deadline.
int RemainingMilliseconds(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return -1;
  absl::Duration remaining = deadline - absl::Now();
  if (remaining <= absl::ZeroDuration()) return 0;
  int64_t milliseconds = absl::ToInt64Milliseconds(absl::Ceil(remaining, absl::Milliseconds(1)));
  return milliseconds > INT_MAX ? INT_MAX : static_cast<int>(milliseconds);
}
}  // namespace

absl::StatusOr<bool> PollReadable(int descriptor, absl::Duration timeout) {
  absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  for (;;) {
    pollfd entry{descriptor, POLLIN, 0};
    int ready = ::poll(&entry, 1, RemainingMilliseconds(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return absl::ErrnoToStatus(errno, "poll");
    if (ready == 0) {
      if (RemainingMilliseconds(deadline) == 0) return false;
      continue;  // woke early (timeout rounding): wait out the rest
    }
    if (entry.revents & POLLNVAL) return absl::InvalidArgumentError("poll: descriptor not open");
    return true;  // POLLIN, POLLHUP or POLLERR: a read will not block
  }
}

}  // namespace multiproc::platform::posix
