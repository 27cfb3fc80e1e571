// Windows only: waiting on one kernel object with an absl::Duration timeout.
// Helpers shared by process.cc and semaphore.cc.
#ifndef MULTIPROC_PLATFORM_WINDOWS_WAIT_H_
#define MULTIPROC_PLATFORM_WINDOWS_WAIT_H_

#include <windows.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/handle.h"

namespace multiproc::platform::windows {

// The timeout Win32 waits take: INFINITE for absl::InfiniteDuration(), 0 for zero or negative
// durations, otherwise whole milliseconds rounded up (a wait never ends before it was asked to).
DWORD ToWaitMilliseconds(absl::Duration timeout);

// True once `object` is signaled, false when `timeout` expires first.
absl::StatusOr<bool> WaitForObject(NativeHandle object, absl::Duration timeout);

}  // namespace multiproc::platform::windows

#endif  // MULTIPROC_PLATFORM_WINDOWS_WAIT_H_
