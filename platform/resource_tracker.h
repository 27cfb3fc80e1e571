// Removing what a process made in a shared namespace when it ended without removing it (Python's
// multiprocessing resource tracker): its named shared memory and the socket files of its Unix
// listeners. A POSIX name or socket file lives until someone unlinks it, so a creator killed by
// SIGKILL would leave it in /dev/shm or the temp directory forever. Windows frees a named mapping
// or a named pipe with its last handle, so there every call only returns OkStatus.
//
// POSIX: the first Track* call in a process starts that process's tracker, a process that outlives
// it and, once the process has ended (however it ended), removes everything still tracked, the
// newest first. Each process has its own tracker: fork children do not share their parent's (its
// connection is closed in them) and exec'd ones do not inherit it (close-on-exec), so a child's
// death removes what that child made while its parent lives on. Something removed and made again
// by another process meanwhile is a different object (another inode), and the tracker leaves it.
//
//   absl::StatusOr<platform::SharedMemory> region = platform::SharedMemory::CreateNamed(name, 64);
//   absl::Status tracked = platform::TrackNamedSharedMemory(name, *region);
//   ...
//   (void)platform::SharedMemory::UnlinkNamed(name);
//   (void)platform::Untrack(name);
#ifndef MULTIPROC_PLATFORM_RESOURCE_TRACKER_H_
#define MULTIPROC_PLATFORM_RESOURCE_TRACKER_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "platform/shared_memory.h"

namespace multiproc::platform {

// Has `name`, which this process just created as `region`, unlinked when this process ends.
absl::Status TrackNamedSharedMemory(absl::string_view name, const SharedMemory& region);

// Has the socket file at `path`, which this process just bound, removed when this process ends.
absl::Status TrackSocketFile(absl::string_view path);

// Has the directory at `path`, which this process just created, removed when this process ends,
// if it is empty then.
absl::Status TrackDirectory(absl::string_view path);

// Stops tracking a name or path given to a Track* call; call it after removing it. Does nothing in
// a process that tracks nothing.
absl::Status Untrack(absl::string_view name_or_path);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_RESOURCE_TRACKER_H_
