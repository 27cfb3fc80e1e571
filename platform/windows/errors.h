// Windows only: turning Win32 error codes into absl::Status values that name the failed call.
#ifndef MULTIPROC_PLATFORM_WINDOWS_ERRORS_H_
#define MULTIPROC_PLATFORM_WINDOWS_ERRORS_H_

#include <windows.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace multiproc::platform::windows {

// A status for `error` (a GetLastError() value) after `failed_call`, e.g.
// "CreateFileMappingW failed: Access is denied. (Win32 error 5)". The status code follows the
// error (ERROR_FILE_NOT_FOUND -> NotFound, ERROR_ACCESS_DENIED -> PermissionDenied, ...).
absl::Status Win32ErrorStatus(absl::string_view failed_call, DWORD error);

// The same for the calling thread's GetLastError(), which must be read before any other call.
absl::Status LastErrorStatus(absl::string_view failed_call);

}  // namespace multiproc::platform::windows

#endif  // MULTIPROC_PLATFORM_WINDOWS_ERRORS_H_
