// Windows only: security attributes that let only the current user and LocalSystem open an
// object, as the POSIX 0600 socket in its 0700 directory does. A named pipe created with the
// default security descriptor would grant read access to Everyone and to anonymous logons.
//
//   absl::StatusOr<SECURITY_ATTRIBUTES*> security = windows::OwnerOnlySecurity();
//   CreateNamedPipeW(name, ..., *security);
#ifndef MULTIPROC_PLATFORM_WINDOWS_OWNER_ONLY_SECURITY_H_
#define MULTIPROC_PLATFORM_WINDOWS_OWNER_ONLY_SECURITY_H_

#include <windows.h>

#include "absl/status/statusor.h"

namespace multiproc::platform::windows {

// Non-inheritable attributes whose protected DACL allows GENERIC_ALL to this process's user and
// to LocalSystem, and nothing to anyone else. Made once per process; never freed.
absl::StatusOr<SECURITY_ATTRIBUTES*> OwnerOnlySecurity();

}  // namespace multiproc::platform::windows

#endif  // MULTIPROC_PLATFORM_WINDOWS_OWNER_ONLY_SECURITY_H_
