// Windows only: nothing to track. The kernel frees a named file mapping or a named pipe when its
// last handle closes, and a killed process's handles close with it, so no name outlives its
// holders.
#include "platform/resource_tracker.h"

namespace multiproc::platform {

absl::Status TrackNamedSharedMemory(absl::string_view, const SharedMemory&) {
  return absl::OkStatus();
}

absl::Status TrackSocketFile(absl::string_view) { return absl::OkStatus(); }

absl::Status TrackDirectory(absl::string_view) { return absl::OkStatus(); }

absl::Status Untrack(absl::string_view) { return absl::OkStatus(); }

}  // namespace multiproc::platform
