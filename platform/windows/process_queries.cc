// Windows only: what a process can ask about itself (command line, threads), and fork, which
// Windows lacks.
#include <windows.h>
// After windows.h, which they need.
#include <shellapi.h>
#include <tlhelp32.h>

#include "platform/process.h"
#include "platform/windows/errors.h"
#include "platform/windows/wide_strings.h"

namespace multiproc::platform {

absl::StatusOr<std::vector<std::string>> CurrentCommandLine() {
  int count = 0;
  LPWSTR* arguments = CommandLineToArgvW(GetCommandLineW(), &count);
  if (arguments == nullptr) return windows::LastErrorStatus("CommandLineToArgvW");
  std::vector<std::string> result;
  for (int i = 0; i < count; ++i) result.push_back(windows::WideToUtf8(arguments[i]));
  LocalFree(arguments);
  return result;
}

bool SupportsFork() { return false; }

int CountThreads() {
  HANDLE snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  if (snapshot == INVALID_HANDLE_VALUE) return 1;
  THREADENTRY32 entry{};
  entry.dwSize = sizeof(entry);
  int threads = 0;
  DWORD self = GetCurrentProcessId();
  for (BOOL more = Thread32First(snapshot, &entry); more; more = Thread32Next(snapshot, &entry)) {
    if (entry.th32OwnerProcessID == self) ++threads;
  }
  CloseHandle(snapshot);
  return threads > 0 ? threads : 1;
}

absl::StatusOr<ChildProcess> ForkAndRun(absl::FunctionRef<int()>, bool) {
  return absl::UnimplementedError("Windows has no fork; use the 'spawn' start method");
}

int CountOpenHandles() {
  DWORD count = 0;
  return GetProcessHandleCount(GetCurrentProcess(), &count) ? static_cast<int>(count) : -1;
}

}  // namespace multiproc::platform
