// POSIX only (Linux): futex wait/wake on a 32-bit word in memory shared between processes. The
// building block of process-shared primitives whose uncontended path makes no system call.
#ifndef MULTIPROC_PLATFORM_POSIX_FUTEX_H_
#define MULTIPROC_PLATFORM_POSIX_FUTEX_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace multiproc::platform::posix {

// Sleeps while `*word == expected`, until woken or `deadline` passes. Returns OK for every normal
// outcome (woken, value changed, deadline, signal): callers re-check their condition.
absl::Status FutexWait(std::atomic<uint32_t>* word, uint32_t expected, absl::Time deadline);

// Wakes up to `count` sleepers on `word`.
void FutexWake(std::atomic<uint32_t>* word, int count);

}  // namespace multiproc::platform::posix

#endif  // MULTIPROC_PLATFORM_POSIX_FUTEX_H_
