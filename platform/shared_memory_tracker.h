// Unlinking the named shared memory of a process that ended without unlinking it (Python's
// multiprocessing resource tracker). A POSIX name lives until someone unlinks it, so a creator
// killed by SIGKILL would leave it in /dev/shm forever; Windows frees a named mapping with its
// last handle, so there both calls only return OkStatus.
//
// POSIX: the first TrackNamedSharedMemory in a process starts that process's tracker, a process
// that outlives it and, once the process has ended (however it ended), unlinks every name still
// tracked. Each process has its own tracker: fork children do not share their parent's (its
// connection is closed in them) and exec'd ones do not inherit it (close-on-exec), so a child's
// death unlinks the names that child created while its parent lives on.
//
//   absl::StatusOr<platform::SharedMemory> region = platform::SharedMemory::CreateNamed(name, 64);
//   absl::Status tracked = platform::TrackNamedSharedMemory(name, *region);
//   ...
//   (void)platform::SharedMemory::UnlinkNamed(name);
//   (void)platform::UntrackNamedSharedMemory(name);
#ifndef MULTIPROC_PLATFORM_SHARED_MEMORY_TRACKER_H_
#define MULTIPROC_PLATFORM_SHARED_MEMORY_TRACKER_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "platform/shared_memory.h"

namespace multiproc::platform {

// Has `name`, which this process just created as `region`, unlinked when this process ends. A
// name that another process unlinked and created again meanwhile is a different region, and the
// tracker leaves it alone.
absl::Status TrackNamedSharedMemory(absl::string_view name, const SharedMemory& region);

// Stops tracking `name`; call it after unlinking the name. Does nothing in a process that tracks
// no name.
absl::Status UntrackNamedSharedMemory(absl::string_view name);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_SHARED_MEMORY_TRACKER_H_
