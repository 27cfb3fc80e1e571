// Windows only: GetCurrentProcessId reads the thread environment block; nothing to cache.
#include "platform/process_id.h"

#include <windows.h>

namespace multiproc::platform {

ProcessId CachedProcessId() { return static_cast<ProcessId>(GetCurrentProcessId()); }

}  // namespace multiproc::platform
