// The calling process's id, cached. getpid() is a system call (100-200 ns behind today's
// speculative-execution mitigations) and the queue's locks ask for it on every put and get; the
// cache turns that into a load. A fork child gets a fresh value: the cache is cleared in the
// child by a pthread_atfork handler (POSIX; every fork multiproc makes goes through fork(), which
// runs it). Windows reads its id from the thread environment block and needs no cache.
//
//   platform::ProcessId self = platform::CachedProcessId();
#ifndef MULTIPROC_PLATFORM_PROCESS_ID_H_
#define MULTIPROC_PLATFORM_PROCESS_ID_H_

#include "platform/process.h"

namespace multiproc::platform {

// Equal to CurrentProcessId(), without a system call after the first use in a process.
ProcessId CachedProcessId();

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_PROCESS_ID_H_
