// POSIX only (Linux): launching through Boost.Process with an explicit descriptor list, and
// watching children through pidfds.
#include "platform/process.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Boost.Process offers vfork only when the feature macros predate POSIX.1-2008 (which dropped
// vfork from the standard); glibc still provides it, and Linux's posix_spawn uses it too.
#define BOOST_POSIX_HAS_VFORK 1
#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "platform/posix/descriptors.h"
#include "platform/posix/launcher_thread.h"
#include "platform/sanitizers.h"
#include "platform/wait.h"

namespace multiproc::platform {

namespace {

// Exit code of a child whose parent died before the child could arm PR_SET_PDEATHSIG.
constexpr int kParentAlreadyGone = 125;

// _exit reached through a pointer bound when the program loads. A fork child that called it
// through the PLT would be the first caller, and its lazy binding walks the symbol tables of
// every loaded library, pages the child has not touched yet: a dozen page faults, about a
// quarter of what a fork child costs beyond fork itself. Sanitizers still see the call, as
// their _exit is the one bound.
void (*volatile const exit_bound_at_load)(int) = ::_exit;
void (*volatile const exit_with_handlers_bound_at_load)(int) = ::exit;
int (*volatile const on_exit_bound_at_load)(void (*)(int, void*), void*) = ::on_exit;

// Registered first thing in a fork child, so exit runs it after every handler the child
// registered and before any it inherited: it ends the process there, with the exit status.
void EndBeforeInheritedExitHandlers(int exit_code, void*) {
  std::fflush(nullptr);  // the child's handlers may have printed; exit would flush after them
  exit_bound_at_load(exit_code);
}

// In a fork child: runs `child_main`, then exits through the child's own exit handlers only.
[[noreturn]] void RunForkChild(absl::FunctionRef<int()> child_main) {
  if (on_exit_bound_at_load(EndBeforeInheritedExitHandlers, nullptr) != 0) {
    exit_bound_at_load(child_main());  // no room to register: better no handlers than theirs
  }
  exit_with_handlers_bound_at_load(child_main());
  __builtin_unreachable();
}

// Async-signal-safe: runs in a forked child. The parent may have died between fork and prctl;
// then nobody would send the signal, so the child checks and leaves at once. Raw system calls,
// for the reason exit_bound_at_load gives: syscall() is bound once the parent has called it
// (WatchChild does, after every fork), where prctl and getppid would be bound by no one.
void DieWithParent(pid_t parent) {
  ::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
  if (::syscall(SYS_getppid) != parent) exit_bound_at_load(kParentAlreadyGone);
}

// Runs in the forked child just before exec, so it makes only async-signal-safe calls.
// Every descriptor above stderr is marked close-on-exec and then the listed ones are unmarked:
// exactly those survive exec, at their own numbers. Marking instead of closing keeps
// Boost.Process's own exec-error pipe open until exec.
class PassListedHandlesOnly : public boost::process::extend::handler {
 public:
  PassListedHandlesOnly(const LaunchSpec& spec, pid_t parent) : spec_(spec), parent_(parent) {}

  template <typename Executor>
  void on_exec_setup(Executor&) const {
    SweepDescriptorsFrom(3, Sweep::kMarkCloseOnExec);
    for (NativeHandle handle : spec_.handles_to_pass) {
      ::fcntl(static_cast<int>(handle), F_SETFD, 0);
    }
    if (spec_.kill_when_parent_dies) DieWithParent(parent_);
  }

 private:
  const LaunchSpec& spec_;
  pid_t parent_;
};

ExitStatus DecodeWaitStatus(int status) {
  if (WIFSIGNALED(status)) return ExitStatus{0, WTERMSIG(status)};
  return ExitStatus{WEXITSTATUS(status), 0};
}

absl::StatusOr<ChildProcess> WatchChild(pid_t pid) {
  // pidfd_open sets close-on-exec itself.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return absl::ErrnoToStatus(errno, "pidfd_open");
  return ChildProcess(pid, OwnedHandle(pidfd));
}

}  // namespace

namespace {

// The glibc loader binds every symbol at load when this is set to anything non-empty. The value
// marks the request as multiproc's, so that only that one is taken back out.
constexpr char kBindNowVariable[] = "LD_BIND_NOW";
constexpr char kBindNowRequest[] = "multiproc";

template <typename... Extra>
absl::StatusOr<ChildProcess> LaunchThroughBoost(const LaunchSpec& spec, Extra&&... extra) {
  std::error_code error;
  boost::process::child child(
      boost::process::exe = spec.executable, boost::process::args = spec.arguments,
      PassListedHandlesOnly(spec, ::getpid()), std::forward<Extra>(extra)..., error);
  if (error) {
    return absl::ErrnoToStatus(error.value(), absl::StrCat("launching ", spec.executable));
  }
  pid_t pid = child.id();
  // From here on the pidfd, not Boost, watches the child (Boost would kill it on destruction).
  child.detach();
  return WatchChild(pid);
}

// vfork: the parent's page tables are not copied only to be thrown away by exec (a fork of a
// large parent cost as much as the rest of the launch). PassListedHandlesOnly only makes system
// calls, which is what a vforked child may do. ThreadSanitizer turns vfork into fork, and then
// the exec error Boost's vforked child writes into the parent's memory never reaches it: there,
// a plain fork with Boost's error pipe.
template <typename... Extra>
absl::StatusOr<ChildProcess> LaunchChoosingFork(const LaunchSpec& spec, Extra&&... extra) {
  if constexpr (kThreadSanitizer) {
    return LaunchThroughBoost(spec, std::forward<Extra>(extra)...);
  } else {
    return LaunchThroughBoost(spec, boost::process::posix::use_vfork,
                              std::forward<Extra>(extra)...);
  }
}

// PR_SET_PDEATHSIG follows the forking thread: a child that must die with this process is forked
// on a thread that lives as long as the process; any other is forked here.
void ForkOnTheRightThread(bool kill_when_parent_dies, absl::FunctionRef<void()> fork) {
  if (kill_when_parent_dies) {
    RunOnLongLivedThread(fork);
  } else {
    fork();
  }
}

}  // namespace

absl::StatusOr<ChildProcess> Launch(const LaunchSpec& spec) {
  absl::StatusOr<ChildProcess> child = absl::UnknownError("not launched");
  auto launch = [&] {
    if (spec.bind_symbols_at_load && std::getenv(kBindNowVariable) == nullptr) {
      child = LaunchChoosingFork(spec, boost::process::env[kBindNowVariable] = kBindNowRequest);
    } else {
      child = LaunchChoosingFork(spec);
    }
  };
  ForkOnTheRightThread(spec.kill_when_parent_dies, launch);
  return child;
}

void ForgetBindSymbolsAtLoad() {
  const char* request = std::getenv(kBindNowVariable);
  if (request != nullptr && std::strcmp(request, kBindNowRequest) == 0) {
    ::unsetenv(kBindNowVariable);
  }
}

absl::StatusOr<ChildProcess> ForkAndRun(absl::FunctionRef<int()> child_main,
                                        bool kill_when_parent_dies) {
  pid_t parent = ::getpid();
  pid_t pid = -1;
  int fork_error = 0;
  auto fork_child = [&] {
    pid = ::fork();
    fork_error = errno;
    if (pid == 0) {
      if (kill_when_parent_dies) DieWithParent(parent);
      RunForkChild(child_main);
    }
  };
  ForkOnTheRightThread(kill_when_parent_dies, fork_child);
  if (pid < 0) return absl::ErrnoToStatus(fork_error, "fork");
  return WatchChild(pid);
}

bool SupportsFork() { return true; }

bool IsProcessAlive(ProcessId pid) {
  // A pidfd becomes readable when its process exits, zombie or not; kill(pid, 0) would call a
  // zombie alive and leave a dead lock owner undetected until someone reaps it.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
  if (pidfd < 0) return errno == EPERM;  // EPERM: exists but is not ours to watch
  absl::StatusOr<bool> exited = WaitForSentinel(pidfd, absl::ZeroDuration());
  ::close(pidfd);
  return exited.ok() && !*exited;
}

absl::Status SignalProcess(ProcessId pid, int signal) {
  if (::kill(static_cast<pid_t>(pid), signal) < 0 && errno != ESRCH) {
    return absl::ErrnoToStatus(errno, absl::StrCat("kill(", pid, ")"));
  }
  return absl::OkStatus();
}

int CountThreads() {
  // procfs gives the task directory one link per thread besides "." and "..": one stat, where
  // listing the directory would cost every fork start several system calls and allocations.
  struct stat task_directory {};
  if (::stat("/proc/self/task", &task_directory) != 0 || task_directory.st_nlink < 3) return 1;
  return static_cast<int>(task_directory.st_nlink - 2);
}

int CountOpenHandles() {
  std::error_code error;
  int open = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++open;
  }
  return error ? -1 : open - 1;  // the iterator's own descriptor is among them
}

absl::StatusOr<std::vector<std::string>> CurrentCommandLine() {
  std::ifstream file("/proc/self/cmdline", std::ios::binary);
  if (!file) return absl::UnavailableError("cannot read /proc/self/cmdline");
  std::vector<std::string> arguments;
  for (std::string argument; std::getline(file, argument, '\0');) arguments.push_back(argument);
  return arguments;
}

absl::StatusOr<std::optional<ExitStatus>> ChildProcess::Wait(absl::Duration timeout) {
  if (exit_status_.has_value()) return exit_status_;
  absl::StatusOr<bool> exited = WaitForSentinel(sentinel(), timeout);
  if (!exited.ok()) return exited.status();
  if (!*exited) return std::optional<ExitStatus>();
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(static_cast<pid_t>(pid_), &status, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped < 0) return absl::ErrnoToStatus(errno, absl::StrCat("waitpid(", pid_, ")"));
  exit_status_ = DecodeWaitStatus(status);
  return exit_status_;
}

absl::Status ChildProcess::SendSignal(int signal) {
  if (exit_status_.has_value()) return absl::OkStatus();
  // Signalling through the pidfd cannot hit an unrelated process that reused the pid.
  if (::syscall(SYS_pidfd_send_signal, static_cast<int>(sentinel()), signal, nullptr, 0) < 0 &&
      errno != ESRCH) {
    return absl::ErrnoToStatus(errno, "pidfd_send_signal");
  }
  return absl::OkStatus();
}

absl::Status ChildProcess::Terminate() { return SendSignal(SIGTERM); }
absl::Status ChildProcess::Kill() { return SendSignal(SIGKILL); }

absl::StatusOr<bool> WaitForSentinel(NativeHandle sentinel, absl::Duration timeout) {
  absl::StatusOr<std::vector<size_t>> ready = WaitForAny({sentinel}, timeout);
  if (!ready.ok()) return ready.status();
  return !ready->empty();
}

absl::StatusOr<std::string> CurrentExecutablePath() {
  char path[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", path, sizeof(path));
  if (length < 0) return absl::ErrnoToStatus(errno, "readlink(/proc/self/exe)");
  if (length == sizeof(path)) return absl::OutOfRangeError("executable path too long");
  return std::string(path, static_cast<size_t>(length));
}

namespace {
// getpid() is a system call (glibc stopped caching it), and lock owners record their pid on every
// acquire; the cache is cleared in every fork child (pthread_atfork), which is what invalidates it.
// Per thread, because only the forking thread lives on in the child; in a program that links
// multiproc statically the reset then lands in the main thread's static TLS, beside the thread
// id fork has just written, rather than in a data page the child would otherwise have to copy.
thread_local ProcessId cached_process_id = 0;
void ForgetCachedProcessId() { cached_process_id = 0; }
}  // namespace

ProcessId CurrentProcessId() {
  if (cached_process_id != 0) return cached_process_id;
  static const bool registered = ::pthread_atfork(nullptr, nullptr, ForgetCachedProcessId) == 0;
  ProcessId pid = ::getpid();
  if (registered) cached_process_id = pid;
  return pid;
}

void ExitImmediately(int exit_code) {
  exit_bound_at_load(exit_code);
  __builtin_unreachable();
}

}  // namespace multiproc::platform
