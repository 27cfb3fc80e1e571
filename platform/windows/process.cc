// Windows only: launching children, watching them, and this process's own identity.
// Launch is Boost.Process v1 plus an initializer that adds a PROC_THREAD_ATTRIBUTE_HANDLE_LIST
// and, for kill_when_parent_dies, a KILL_ON_JOB_CLOSE Job object.
#include <windows.h>
// Boost 1.81's extend.hpp (through detail/windows/handles.hpp) uses boost::winapi's handle-info
// functions without including their header.
#include <boost/winapi/handle_info.hpp>
// (the order above matters; below it does not)
#include <algorithm>
#include <boost/process/child.hpp>
#include <boost/process/cmd.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "platform/process.h"
#include "platform/windows/errors.h"
#include "platform/windows/native_handle.h"
#include "platform/windows/wait.h"
#include "platform/windows/wide_strings.h"

namespace multiproc::platform {

namespace bp = boost::process;
using windows::LastErrorStatus;
using windows::ToNativeHandle;
using windows::ToWin32Handle;
using windows::Win32ErrorStatus;

namespace {

// ---- exit codes that stand for signals ----

// Terminate/Kill end a child with exit code 0x10000 | signal, and Wait reads such codes back as
// that signal, so exitcode is -15 / -9 as on POSIX. CPython reads its own 0x10000 the same way.
constexpr DWORD kSignalExitCodeBase = 0x10000;
constexpr DWORD kSignalExitCodeEnd = kSignalExitCodeBase + 0x100;

ExitStatus DecodeExitCode(DWORD code) {
  if (code > kSignalExitCodeBase && code < kSignalExitCodeEnd) {
    return ExitStatus{.exit_code = 0, .signal = static_cast<int>(code & 0xFF)};
  }
  return ExitStatus{.exit_code = static_cast<int>(code), .signal = 0};
}

// Ends `process` with the exit code that Wait reads back as `signal`.
absl::Status TerminateWithSignal(HANDLE process, int signal) {
  if (TerminateProcess(process, kSignalExitCodeBase | static_cast<DWORD>(signal))) {
    return absl::OkStatus();
  }
  DWORD error = GetLastError();
  // Windows refuses (ERROR_ACCESS_DENIED) to terminate a process that has already exited; as on
  // POSIX, signalling a dead child that was not reaped yet is not an error. (Wine returns TRUE.)
  if (WaitForSingleObject(process, 0) == WAIT_OBJECT_0) return absl::OkStatus();
  return Win32ErrorStatus("TerminateProcess", error);
}

// ---- the command line ----

// Appends `argument` so that CommandLineToArgvW and the C runtimes' argv parsing give it back
// unchanged: backslashes are literal except before a quote, where 2n+1 of them stand for n
// backslashes and a literal quote. (Boost.Process v1 only doubles quotes, which drops empty
// arguments and breaks on backslashes before a quote.)
void AppendQuotedArgument(std::wstring& command_line, std::wstring_view argument) {
  if (!argument.empty() && argument.find_first_of(L" \t\n\v\"") == std::wstring_view::npos) {
    command_line.append(argument);
    return;
  }
  command_line.push_back(L'"');
  size_t backslashes = 0;
  for (wchar_t c : argument) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    // Backslashes before a quote are escaped, and so is the quote; elsewhere they are literal.
    command_line.append(c == L'"' ? 2 * backslashes + 1 : backslashes, L'\\');
    command_line.push_back(c);
    backslashes = 0;
  }
  // Backslashes before the closing quote must not escape it.
  command_line.append(2 * backslashes, L'\\');
  command_line.push_back(L'"');
}

// argv[0] is parsed differently (up to the closing quote, no escapes); a Windows path holds no
// quotes, so quoting it plainly is always right.
absl::StatusOr<std::wstring> BuildCommandLine(const std::wstring& executable,
                                              const std::vector<std::string>& arguments) {
  std::wstring command_line = L"\"" + executable + L"\"";
  for (const std::string& argument : arguments) {
    absl::StatusOr<std::wstring> wide = windows::Utf8ToWide(argument);
    if (!wide.ok()) return wide.status();
    command_line.push_back(L' ');
    AppendQuotedArgument(command_line, *wide);
  }
  return command_line;
}

// ---- which handles the child inherits ----

struct StandardStreams {
  HANDLE input = nullptr;
  HANDLE output = nullptr;
  HANDLE error = nullptr;
};

StandardStreams CurrentStandardStreams() {
  return StandardStreams{.input = GetStdHandle(STD_INPUT_HANDLE),
                         .output = GetStdHandle(STD_OUTPUT_HANDLE),
                         .error = GetStdHandle(STD_ERROR_HANDLE)};
}

// A HANDLE_LIST entry must be an open handle (not NULL, not INVALID_HANDLE_VALUE), or
// CreateProcess fails.
bool IsRealOpenHandle(HANDLE handle) {
  DWORD flags = 0;
  return handle != nullptr && handle != INVALID_HANDLE_VALUE &&
         GetHandleInformation(handle, &flags);
}

absl::Status CheckListedHandles(const std::vector<NativeHandle>& handles) {
  for (NativeHandle handle : handles) {
    if (windows::IsInvalid(handle) || !IsRealOpenHandle(ToWin32Handle(handle))) {
      return absl::InvalidArgumentError(
          absl::StrCat("handle ", handle, " in LaunchSpec::handles_to_pass is not open"));
    }
  }
  return absl::OkStatus();
}

// The listed handles plus this process's standard streams (the child writes its diagnostics to
// the same stdout/stderr), each once: the same handle twice in a HANDLE_LIST is an error.
std::vector<HANDLE> HandlesToInherit(const std::vector<NativeHandle>& listed,
                                     const StandardStreams& streams) {
  std::vector<HANDLE> handles;
  for (NativeHandle handle : listed) handles.push_back(ToWin32Handle(handle));
  for (HANDLE stream : {streams.input, streams.output, streams.error}) {
    if (IsRealOpenHandle(stream)) handles.push_back(stream);
  }
  std::sort(handles.begin(), handles.end());
  handles.erase(std::unique(handles.begin(), handles.end()), handles.end());
  return handles;
}

// A HANDLE_LIST may only name inheritable handles, but multiproc keeps its handles hidden from
// children by default: this marks them inheritable for one CreateProcess and restores the flag of
// each one it changed when it goes out of scope.
class InheritableDuringLaunch {
 public:
  InheritableDuringLaunch() = default;
  InheritableDuringLaunch(const InheritableDuringLaunch&) = delete;
  InheritableDuringLaunch& operator=(const InheritableDuringLaunch&) = delete;
  ~InheritableDuringLaunch() {
    for (HANDLE handle : made_inheritable_) SetHandleInformation(handle, HANDLE_FLAG_INHERIT, 0);
  }

  absl::Status Mark(const std::vector<HANDLE>& handles) {
    for (HANDLE handle : handles) {
      DWORD flags = 0;
      if (!GetHandleInformation(handle, &flags)) return LastErrorStatus("GetHandleInformation");
      if ((flags & HANDLE_FLAG_INHERIT) != 0) continue;
      if (!SetHandleInformation(handle, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT)) {
        return LastErrorStatus("SetHandleInformation");
      }
      made_inheritable_.push_back(handle);
    }
    return absl::OkStatus();
  }

 private:
  std::vector<HANDLE> made_inheritable_;
};

// Held from marking handles inheritable until their flags are restored: two launches that list
// the same handle would otherwise restore it under each other's CreateProcess.
std::mutex& LaunchMutex() {
  static std::mutex mutex;
  return mutex;
}

// ---- kill_when_parent_dies ----

absl::StatusOr<HANDLE> CreateKillOnCloseJob() {
  HANDLE job = CreateJobObjectW(nullptr, nullptr);  // not inheritable: no child may keep it open
  if (job == nullptr) return LastErrorStatus("CreateJobObjectW");
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  // SILENT_BREAKAWAY_OK: only the children we assign are tied to us; what they launch in turn is
  // not (as PR_SET_PDEATHSIG on Linux reaches one generation only).
  limits.BasicLimitInformation.LimitFlags =
      JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK;
  if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof(limits))) {
    absl::Status status = LastErrorStatus("SetInformationJobObject");
    CloseHandle(job);
    return status;
  }
  return job;
}

// The job every kill_when_parent_dies child joins. Its one handle is never closed: when this
// process ends, however it ends, the kernel closes it and KILL_ON_JOB_CLOSE kills the members.
absl::StatusOr<HANDLE> KillOnCloseJob() {
  static const absl::StatusOr<HANDLE> job = CreateKillOnCloseJob();
  return job;
}

// The child was created suspended so that it cannot run (or launch anything) before it is in
// the job.
absl::Status JoinKillOnCloseJobAndResume(HANDLE process, HANDLE main_thread) {
  absl::StatusOr<HANDLE> job = KillOnCloseJob();
  if (!job.ok()) return job.status();
  if (!AssignProcessToJobObject(*job, process)) return LastErrorStatus("AssignProcessToJobObject");
  if (ResumeThread(main_thread) == static_cast<DWORD>(-1)) return LastErrorStatus("ResumeThread");
  return absl::OkStatus();
}

// ---- the Boost.Process initializer ----

// Restricts what the child inherits to `handles` with PROC_THREAD_ATTRIBUTE_HANDLE_LIST, hands it
// this process's standard streams, and for kill_when_parent_dies starts it suspended and puts it
// in the kill-on-close job before it runs. Boost.Process v1 (1.81) has no handle list of its own.
class ExplicitInheritance : public bp::extend::handler {
 public:
  ExplicitInheritance(std::vector<HANDLE> handles, StandardStreams streams,
                      bool kill_when_parent_dies)
      : handles_(std::move(handles)),
        streams_(streams),
        kill_when_parent_dies_(kill_when_parent_dies) {}
  ExplicitInheritance(const ExplicitInheritance&) = delete;
  ExplicitInheritance& operator=(const ExplicitInheritance&) = delete;
  ~ExplicitInheritance() {
    if (attribute_list_ready_) DeleteProcThreadAttributeList(attribute_list());
  }

  template <class Executor>
  void on_setup(Executor& exec) {
    exec.startup_info.dwFlags |= STARTF_USESTDHANDLES;
    exec.startup_info.hStdInput = streams_.input;
    exec.startup_info.hStdOutput = streams_.output;
    exec.startup_info.hStdError = streams_.error;
    // An empty HANDLE_LIST is an error; with nothing to pass, inherit nothing at all.
    if (!handles_.empty()) {
      if (absl::Status built = BuildHandleList(); !built.ok()) return Fail(exec, std::move(built));
      exec.startup_info_ex.lpAttributeList =
          reinterpret_cast<decltype(exec.startup_info_ex.lpAttributeList)>(attribute_list());
      exec.set_startup_info_ex();
      exec.inherit_handles = TRUE;
    }
    if (kill_when_parent_dies_) exec.creation_flags |= CREATE_SUSPENDED;
  }

  template <class Executor>
  void on_success(Executor& exec) {
    if (!kill_when_parent_dies_) return;
    absl::Status joined =
        JoinKillOnCloseJobAndResume(exec.proc_info.hProcess, exec.proc_info.hThread);
    if (joined.ok()) return;
    // A child we cannot tie to our lifetime must not run at all.
    TerminateProcess(exec.proc_info.hProcess, 1);
    Fail(exec, std::move(joined));
  }

  // Why the launch failed, when this initializer made it fail.
  const absl::Status& status() const { return status_; }

 private:
  LPPROC_THREAD_ATTRIBUTE_LIST attribute_list() {
    return reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attribute_memory_.data());
  }

  absl::Status BuildHandleList() {
    SIZE_T size = 0;
    InitializeProcThreadAttributeList(nullptr, 1, 0, &size);  // fails, reporting the size needed
    attribute_memory_.resize(size);
    if (!InitializeProcThreadAttributeList(attribute_list(), 1, 0, &size)) {
      return LastErrorStatus("InitializeProcThreadAttributeList");
    }
    attribute_list_ready_ = true;
    if (!UpdateProcThreadAttribute(attribute_list(), 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
                                   handles_.data(), handles_.size() * sizeof(HANDLE), nullptr,
                                   nullptr)) {
      return LastErrorStatus("UpdateProcThreadAttribute(HANDLE_LIST)");
    }
    return absl::OkStatus();
  }

  // Stops the launch; Launch reports `status` rather than Boost's error code.
  template <class Executor>
  void Fail(Executor& exec, absl::Status status) {
    status_ = std::move(status);
    exec.set_error(std::error_code(ERROR_GEN_FAILURE, std::system_category()),
                   "multiproc launch setup failed");
  }

  std::vector<HANDLE> handles_;  // read by CreateProcess through the attribute list
  StandardStreams streams_;
  bool kill_when_parent_dies_;
  std::vector<std::byte> attribute_memory_;
  bool attribute_list_ready_ = false;
  absl::Status status_;
};

// Takes a process handle of our own and lets Boost's child object go without killing the child.
absl::StatusOr<ChildProcess> AdoptChild(bp::child& child) {
  HANDLE process = nullptr;
  if (!DuplicateHandle(GetCurrentProcess(), child.native_handle(), GetCurrentProcess(), &process, 0,
                       /*bInheritHandle=*/FALSE, DUPLICATE_SAME_ACCESS)) {
    return LastErrorStatus("DuplicateHandle(child process)");  // ~child terminates the child
  }
  ProcessId pid = child.id();
  child.detach();
  return ChildProcess(pid, OwnedHandle(ToNativeHandle(process)));
}

}  // namespace

absl::StatusOr<ChildProcess> Launch(const LaunchSpec& spec) {
  if (absl::Status listed = CheckListedHandles(spec.handles_to_pass); !listed.ok()) return listed;
  absl::StatusOr<std::wstring> executable = windows::Utf8ToWide(spec.executable);
  if (!executable.ok()) return executable.status();
  absl::StatusOr<std::wstring> command_line = BuildCommandLine(*executable, spec.arguments);
  if (!command_line.ok()) return command_line.status();
  StandardStreams streams = CurrentStandardStreams();
  std::vector<HANDLE> inherited = HandlesToInherit(spec.handles_to_pass, streams);
  ExplicitInheritance explicit_inheritance(inherited, streams, spec.kill_when_parent_dies);

  std::lock_guard<std::mutex> lock(LaunchMutex());
  InheritableDuringLaunch inheritable;
  if (absl::Status marked = inheritable.Mark(inherited); !marked.ok()) return marked;
  std::error_code error;
  // bp::cmd replaces the command line bp::exe would build (see AppendQuotedArgument).
  bp::child child(bp::exe = *executable, bp::cmd = *command_line, explicit_inheritance, error);
  if (!explicit_inheritance.status().ok()) return explicit_inheritance.status();
  if (error) {
    return Win32ErrorStatus(absl::StrCat("CreateProcessW(", spec.executable, ")"),
                            static_cast<DWORD>(error.value()));
  }
  return AdoptChild(child);
}

absl::StatusOr<std::optional<ExitStatus>> ChildProcess::Wait(absl::Duration timeout) {
  if (exit_status_.has_value()) return exit_status_;
  absl::StatusOr<bool> exited = windows::WaitForObject(sentinel(), timeout);
  if (!exited.ok()) return exited.status();
  if (!*exited) return std::nullopt;
  DWORD code = 0;
  if (!GetExitCodeProcess(ToWin32Handle(sentinel()), &code)) {
    return LastErrorStatus("GetExitCodeProcess");
  }
  exit_status_ = DecodeExitCode(code);
  return exit_status_;
}

absl::Status ChildProcess::Terminate() { return SendSignal(kSignalTerminate); }

absl::Status ChildProcess::Kill() { return SendSignal(kSignalKill); }

absl::Status ChildProcess::SendSignal(int signal) {
  if (exit_status_.has_value()) return absl::OkStatus();  // already exited and reaped
  return TerminateWithSignal(ToWin32Handle(sentinel()), signal);
}

bool IsProcessAlive(ProcessId pid) {
  HANDLE process = OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) return GetLastError() == ERROR_ACCESS_DENIED;  // exists, not ours
  bool alive = WaitForSingleObject(process, 0) == WAIT_TIMEOUT;
  CloseHandle(process);
  return alive;
}

absl::Status SignalProcess(ProcessId pid, int signal) {
  HANDLE process = OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, static_cast<DWORD>(pid));
  if (process == nullptr) {
    DWORD error = GetLastError();
    // No such process any more: nothing to signal, as POSIX kill's ESRCH.
    if (error == ERROR_INVALID_PARAMETER) return absl::OkStatus();
    return Win32ErrorStatus(absl::StrCat("OpenProcess(", pid, ")"), error);
  }
  absl::Status status = TerminateWithSignal(process, signal);
  CloseHandle(process);
  return status;
}

absl::StatusOr<bool> WaitForSentinel(NativeHandle sentinel, absl::Duration timeout) {
  return windows::WaitForObject(sentinel, timeout);
}

absl::StatusOr<std::string> CurrentExecutablePath() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    DWORD length = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
    if (length == 0) return LastErrorStatus("GetModuleFileNameW");
    if (length < path.size()) {
      path.resize(length);
      return windows::WideToUtf8(path);
    }
    path.resize(path.size() * 2);  // the name was truncated: long paths exceed MAX_PATH
  }
}

ProcessId CurrentProcessId() { return GetCurrentProcessId(); }

// Windows binds a program's imports when it loads; there is no request to forget.
void ForgetBindSymbolsAtLoad() {}

[[noreturn]] void ExitImmediately(int exit_code) {
  // Terminating ourselves skips atexit handlers, static destructors and DLL detach routines alike
  // (ExitProcess, behind exit and _exit, would still run the DLL ones).
  TerminateProcess(GetCurrentProcess(), static_cast<UINT>(exit_code));
  std::_Exit(exit_code);  // not reached
}

}  // namespace multiproc::platform
