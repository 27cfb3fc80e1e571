// POSIX only: waiting for a descriptor to become readable, shared by pipes and process sentinels.
#ifndef MULTIPROC_PLATFORM_POSIX_POLL_H_
#define MULTIPROC_PLATFORM_POSIX_POLL_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace multiproc::platform::posix {

// True once `descriptor` is readable or hung up; false when `timeout` expires first.
// absl::InfiniteDuration() blocks; absl::ZeroDuration() polls once.
absl::StatusOr<bool> PollReadable(int descriptor, absl::Duration timeout);

}  // namespace multiproc::platform::posix

#endif  // MULTIPROC_PLATFORM_POSIX_POLL_H_
