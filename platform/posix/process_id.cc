// POSIX only: the cached process id behind platform/process_id.h, cleared in fork children.
#include "platform/process_id.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace multiproc::platform {

namespace {

std::atomic<ProcessId> cached_process_id{0};

void ForgetProcessIdInChild() { cached_process_id.store(0, std::memory_order_relaxed); }

}  // namespace

ProcessId CachedProcessId() {
  ProcessId pid = cached_process_id.load(std::memory_order_relaxed);
  if (pid != 0) return pid;
  // Registered before the first value is cached, so no fork can inherit a value unobserved.
  static const bool forget_in_children = [] {
    return ::pthread_atfork(nullptr, nullptr, ForgetProcessIdInChild) == 0;
  }();
  pid = ::getpid();
  if (forget_in_children) cached_process_id.store(pid, std::memory_order_relaxed);
  return pid;
}

}  // namespace multiproc::platform
