// Windows only: waiting on one kernel object with an absl::Duration timeout.
#include "platform/windows/wait.h"

#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "platform/windows/errors.h"
#include "platform/windows/native_handle.h"

namespace multiproc::platform::windows {

DWORD ToWaitMilliseconds(absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return INFINITE;
  if (timeout <= absl::ZeroDuration()) return 0;
  int64_t milliseconds = absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)));
  // INFINITE itself (0xFFFFFFFF) must stay reserved for the infinite duration.
  constexpr int64_t kLongestFiniteWait = INFINITE - 1;
  return static_cast<DWORD>(std::min(milliseconds, kLongestFiniteWait));
}

absl::StatusOr<bool> WaitForObject(NativeHandle object, absl::Duration timeout) {
  if (IsInvalid(object)) return absl::InvalidArgumentError("waiting on an invalid handle");
  DWORD result = WaitForSingleObject(ToWin32Handle(object), ToWaitMilliseconds(timeout));
  switch (result) {
    case WAIT_OBJECT_0:
      return true;
    case WAIT_TIMEOUT:
      return false;
    case WAIT_FAILED:
      return LastErrorStatus("WaitForSingleObject");
    default:
      return absl::InternalError(absl::StrCat("WaitForSingleObject returned ", result));
  }
}

}  // namespace multiproc::platform::windows
