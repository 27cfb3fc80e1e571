// POSIX only: the thread that starts children which must die with this process.
//
// PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not when its process does:
// a daemon, a Pool worker or a manager server started from a short-lived std::thread would be
// killed as soon as that thread returned. Such children are therefore forked on one internal
// thread that lives as long as the process. The main thread forks them itself (it ends only
// with the process), which spares the common case the hand-off.
#ifndef MULTIPROC_PLATFORM_POSIX_LAUNCHER_THREAD_H_
#define MULTIPROC_PLATFORM_POSIX_LAUNCHER_THREAD_H_

#include "absl/functional/function_ref.h"

namespace multiproc::platform {

// Runs `launch` on a thread that lives as long as this process, and returns once it has run.
// Exceptions `launch` throws reach the caller.
void RunOnLongLivedThread(absl::FunctionRef<void()> launch);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_POSIX_LAUNCHER_THREAD_H_
