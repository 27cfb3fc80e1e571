// Launching a child process with an explicit list of the handles it receives, and watching it:
// wait with a timeout, exit status, terminate/kill, and a waitable sentinel.
//
// The child receives exactly the handles listed in LaunchSpec::handles_to_pass, each under the
// same NativeHandle value it has in the parent, plus the standard streams; nothing else leaks in,
// however the parent marked its other handles (POSIX: every other descriptor is closed at exec;
// Windows: PROC_THREAD_ATTRIBUTE_HANDLE_LIST). This is Chromium's LaunchOptions idea without its
// deprecated "inherit everything" mode.
//
//   platform::LaunchSpec spec;
//   spec.executable = *platform::CurrentExecutablePath();
//   spec.arguments = {"--role", "worker"};
//   spec.handles_to_pass = {pipe.second.get()};
//   absl::StatusOr<platform::ChildProcess> child = platform::Launch(spec);
//   absl::StatusOr<std::optional<platform::ExitStatus>> done = child->Wait(absl::Seconds(5));
#ifndef MULTIPROC_PLATFORM_PROCESS_H_
#define MULTIPROC_PLATFORM_PROCESS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "platform/handle.h"

namespace multiproc::platform {

using ProcessId = std::int64_t;

// The signal numbers multiproc reports on both platforms (POSIX values; Windows maps to them).
inline constexpr int kSignalKill = 9;
inline constexpr int kSignalTerminate = 15;

struct LaunchSpec {
  std::string executable;              // a path to the program; not searched in PATH
  std::vector<std::string> arguments;  // argv[1...]; the launcher quotes them as the OS needs
  std::vector<NativeHandle> handles_to_pass;  // the only handles the child receives
  // The child is killed when this process dies, however it dies, and only then: not when the
  // thread that launched it ends (Linux PR_SET_PDEATHSIG, armed from a thread that lives as long
  // as the process and checked against a parent that already died; Windows a KILL_ON_JOB_CLOSE
  // job held by this process).
  bool kill_when_parent_dies = false;
  // Resolve every symbol from shared libraries when the child loads rather than at its first
  // call, so that processes the child forks inherit them resolved: a forked process that makes
  // a call first resolves it itself, reading symbol tables it has not touched yet, which costs it
  // more than the rest of its start. POSIX: LD_BIND_NOW, unless the environment sets it already
  // (set to the empty string, it keeps binding lazy: the opt-out). The loader reads it once, so
  // the child and the processes it forks also load libraries they dlopen with immediate binding
  // (a library naming a function nothing defines fails to load there). Windows binds imports at
  // load anyway.
  bool bind_symbols_at_load = false;
};

// In a child launched with bind_symbols_at_load: removes the request from the environment, so
// that programs this process or its forks execute load as they would have.
void ForgetBindSymbolsAtLoad();

// How a child ended: `signal` is non-zero when it was killed by a signal (POSIX) or by
// ChildProcess::Terminate/Kill (Windows, where the exit code carries the signal number).
struct ExitStatus {
  int exit_code = 0;
  int signal = 0;

  // Python's Process.exitcode: the exit code, or -signal when killed.
  int python_exitcode() const { return signal != 0 ? -signal : exit_code; }
};

// A launched child. Destroying it neither kills nor waits for the child.
class ChildProcess {
 public:
  ChildProcess(ProcessId pid, OwnedHandle process_handle)
      : pid_(pid), process_handle_(std::move(process_handle)) {}
  ChildProcess(ChildProcess&&) = default;
  ChildProcess& operator=(ChildProcess&&) = default;

  ProcessId pid() const { return pid_; }

  // Becomes ready (POSIX: readable; Windows: signaled) when the child exits. A pidfd on Linux,
  // the process HANDLE on Windows.
  NativeHandle sentinel() const { return process_handle_.get(); }

  // Waits up to `timeout` (absl::InfiniteDuration() to block) for the child to exit and reaps it.
  // Returns the exit status, or nullopt if the child is still running when the timeout expires.
  // Safe to call again after the child exited: the status is remembered.
  absl::StatusOr<std::optional<ExitStatus>> Wait(absl::Duration timeout);

  // Asks the child to stop (SIGTERM; Windows: TerminateProcess reporting kSignalTerminate).
  absl::Status Terminate();
  // Stops the child at once (SIGKILL; Windows: TerminateProcess reporting kSignalKill).
  absl::Status Kill();

 private:
  absl::Status SendSignal(int signal);

  ProcessId pid_;
  OwnedHandle process_handle_;
  std::optional<ExitStatus> exit_status_;
};

absl::StatusOr<ChildProcess> Launch(const LaunchSpec& spec);

// True once the process behind `sentinel` (ChildProcess::sentinel()) has exited; false when
// `timeout` expires first. Does not reap: ChildProcess::Wait still reports the status.
absl::StatusOr<bool> WaitForSentinel(NativeHandle sentinel, absl::Duration timeout);

// Sends `signal` (kSignalTerminate or kSignalKill) to a process that is not this process's own
// child (for a forkserver's children). Prefer ChildProcess::Terminate/Kill for own children: a
// pid may be reused once its process was reaped.
absl::Status SignalProcess(ProcessId pid, int signal);

// False once the process `pid` has exited (a zombie counts as exited) or never existed. Used to
// detect that the owner of a shared lock died. A pid can be reused after its process was reaped;
// callers that keep pids long should expect that.
bool IsProcessAlive(ProcessId pid);

// The absolute path of the running program, in the form Launch accepts.
absl::StatusOr<std::string> CurrentExecutablePath();

ProcessId CurrentProcessId();

// The arguments this process was started with (argv[0] first), read from the OS rather than from
// main's argv so that library code can inspect them before main_guard has run.
absl::StatusOr<std::vector<std::string>> CurrentCommandLine();

// True where ForkAndRun works (POSIX); Windows has no fork.
bool SupportsFork();

// How many threads this process runs now (forking a multi-threaded process is risky: only the
// forking thread survives in the child, possibly holding other threads' locks).
int CountThreads();

// How many handles (POSIX: file descriptors) this process has open now; -1 if the OS cannot say.
// For leak checks: the number must not grow over repeated start/join or pool cycles.
int CountOpenHandles();

// Forks; the child runs `child_main` and exits with its result. On the way out it runs the atexit
// handlers (and static destructors) registered in the child, as CPython runs a fork child's
// since 3.12 (gh-83856), but never those it inherited from the parent: they belong to the
// parent's state and would flush or tear it down twice. The child shares nothing new with the
// parent except what fork copies. Unimplemented where SupportsFork() is false.
absl::StatusOr<ChildProcess> ForkAndRun(absl::FunctionRef<int()> child_main,
                                        bool kill_when_parent_dies);

// Ends the calling process at once with `exit_code`, without running atexit handlers or static
// destructors (a child must not flush or tear down state it shares with its parent).
[[noreturn]] void ExitImmediately(int exit_code);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_PROCESS_H_
