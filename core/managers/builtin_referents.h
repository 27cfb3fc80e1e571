// The server-side objects behind SyncManager's proxies, registered by AddBuiltinTypes
// (manager_server.h): containers of encoded values (list, dict, Namespace, Value, Array),
// synchronization objects (Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event, Barrier)
// and queues (Queue, JoinableQueue). They are plain in-process objects (std::mutex and
// std::condition_variable) living in the server; every client reaches them through it.
//
// Timeouts travel as std::optional<int64_t> nanoseconds (nullopt: wait for ever).
#ifndef MULTIPROC_CORE_MANAGERS_BUILTIN_REFERENTS_H_
#define MULTIPROC_CORE_MANAGERS_BUILTIN_REFERENTS_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

#include "core/manager_types.h"

namespace multiproc::internal::manager {

void AddContainerTypes(ManagerTypes& types);
void AddSyncTypes(ManagerTypes& types);
void AddQueueTypes(ManagerTypes& types);

using Timeout = std::optional<int64_t>;

// Waits on `condition` until `ready()` or the timeout; returns ready().
template <typename Ready>
bool WaitFor(std::condition_variable& condition, std::unique_lock<std::mutex>& lock,
             const Timeout& timeout, Ready ready) {
  if (!timeout) {
    condition.wait(lock, ready);
    return true;
  }
  return condition.wait_for(lock, std::chrono::nanoseconds(std::max<int64_t>(*timeout, 0)), ready);
}

}  // namespace multiproc::internal::manager

#endif  // MULTIPROC_CORE_MANAGERS_BUILTIN_REFERENTS_H_
