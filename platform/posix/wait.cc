// POSIX only: poll(2) over pipe ends and pidfds alike.
#include "platform/wait.h"

#include <poll.h>

#include <cerrno>
#include <climits>

#include "absl/time/clock.h"

namespace multiproc::platform {

absl::StatusOr<std::vector<size_t>> WaitForAny(absl::Span<const NativeHandle> handles,
                                               absl::Duration timeout) {
  std::vector<pollfd> entries;
  entries.reserve(handles.size());
  for (NativeHandle handle : handles) entries.push_back({static_cast<int>(handle), POLLIN, 0});
  absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  for (;;) {
    int milliseconds = -1;
    if (deadline != absl::InfiniteFuture()) {
      absl::Duration left = std::max(deadline - absl::Now(), absl::ZeroDuration());
      milliseconds = static_cast<int>(std::min<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), INT_MAX));
    }
    int count = ::poll(entries.data(), entries.size(), milliseconds);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) return absl::ErrnoToStatus(errno, "poll");
    std::vector<size_t> ready;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].revents & POLLNVAL) {
        return absl::InvalidArgumentError("WaitForAny: a handle is not open");
      }
      if (entries[i].revents != 0) ready.push_back(i);
    }
    if (!ready.empty() || milliseconds == 0 || absl::Now() >= deadline) return ready;
  }
}

}  // namespace multiproc::platform
