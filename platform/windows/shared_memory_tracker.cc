// Windows only: nothing to track. The kernel frees a named file mapping when its last handle
// closes, and a killed process's handles close with it, so no name outlives its holders.
#include "platform/shared_memory_tracker.h"

namespace multiproc::platform {

absl::Status TrackNamedSharedMemory(absl::string_view, const SharedMemory&) {
  return absl::OkStatus();
}

absl::Status UntrackNamedSharedMemory(absl::string_view) { return absl::OkStatus(); }

}  // namespace multiproc::platform
