// POSIX only (Linux): see launcher_thread.h.
#include "platform/posix/launcher_thread.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace multiproc::platform {

namespace {

// One launch at a time: callers queue on `serialize`, the thread waits on `wake`.
struct LauncherThread {
  std::mutex serialize;
  std::mutex mutex;
  std::condition_variable wake;
  std::optional<absl::FunctionRef<void()>> pending;
  std::exception_ptr failure;
  bool finished = false;

  void Serve() {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      wake.wait(lock, [this] { return pending.has_value(); });
      try {
        (*pending)();
      } catch (...) {
        failure = std::current_exception();
      }
      pending.reset();
      finished = true;
      wake.notify_all();
    }
  }
};

// Never destroyed: the thread serves until the process ends. A fork child forgets its parent's
// (the thread does not exist there, and its mutexes may be held): it makes its own when needed.
LauncherThread* launcher = nullptr;
std::mutex launcher_creation;

LauncherThread& TheLauncherThread() {
  static const bool forgotten_in_fork_children = ::pthread_atfork(nullptr, nullptr, [] {
                                                   launcher = nullptr;
                                                   new (&launcher_creation) std::mutex();
                                                 }) == 0;
  (void)forgotten_in_fork_children;
  std::lock_guard<std::mutex> hold(launcher_creation);
  if (launcher == nullptr) {
    launcher = new LauncherThread();
    std::thread([served = launcher] { served->Serve(); }).detach();
  }
  return *launcher;
}

bool OnMainThread() { return ::syscall(SYS_gettid) == ::getpid(); }

}  // namespace

void RunOnLongLivedThread(absl::FunctionRef<void()> launch) {
  if (OnMainThread()) {
    launch();
    return;
  }
  LauncherThread& thread = TheLauncherThread();
  std::lock_guard<std::mutex> one_at_a_time(thread.serialize);
  std::unique_lock<std::mutex> lock(thread.mutex);
  thread.finished = false;
  thread.failure = nullptr;
  thread.pending.emplace(launch);
  thread.wake.notify_all();
  thread.wake.wait(lock, [&thread] { return thread.finished; });
  if (thread.failure) std::rethrow_exception(thread.failure);
}

}  // namespace multiproc::platform
