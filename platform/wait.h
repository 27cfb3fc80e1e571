// Waiting on several handles at once: pipe ends (ready when readable or closed) and process
// sentinels (ready when the process exited). The ground under multiproc::wait() and the
// forkserver's loop.
//
//   absl::StatusOr<std::vector<size_t>> ready =
//       platform::WaitForAny({pipe_end, child.sentinel()}, absl::Seconds(1));
#ifndef MULTIPROC_PLATFORM_WAIT_H_
#define MULTIPROC_PLATFORM_WAIT_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "platform/handle.h"

namespace multiproc::platform {

// The positions in `handles` that are ready, in increasing order; empty when `timeout` expired
// first (absl::InfiniteDuration() blocks until at least one is ready).
absl::StatusOr<std::vector<size_t>> WaitForAny(absl::Span<const NativeHandle> handles,
                                               absl::Duration timeout);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_WAIT_H_
