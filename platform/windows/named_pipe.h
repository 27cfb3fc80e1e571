// Windows only: named pipe pieces shared by pipe.cc (anonymous Pipe() pairs) and listener.cc
// (Listener/Client at a named address). All handles are overlapped byte-mode pipe ends.
#ifndef MULTIPROC_PLATFORM_WINDOWS_NAMED_PIPE_H_
#define MULTIPROC_PLATFORM_WINDOWS_NAMED_PIPE_H_

#include <windows.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/handle.h"

namespace multiproc::platform::windows {

// A \\.\pipe\ name nobody else can predict.
absl::StatusOr<std::wstring> UniquePipeName();

// One server instance of the pipe `name`, refusing remote clients and any user but this one
// (and LocalSystem). `open_mode` is the access
// (PIPE_ACCESS_*) plus, for the first instance, FILE_FLAG_FIRST_PIPE_INSTANCE.
absl::StatusOr<OwnedHandle> CreatePipeInstance(const std::wstring& name, DWORD open_mode,
                                               DWORD max_instances);

// The client end of the pipe `name` (CreateFileW), overlapped.
absl::StatusOr<OwnedHandle> OpenPipeClient(const std::wstring& name, DWORD access);

// Waits until a client is connected to the server instance `server`.
absl::Status WaitForPipeClient(NativeHandle server);

}  // namespace multiproc::platform::windows

#endif  // MULTIPROC_PLATFORM_WINDOWS_NAMED_PIPE_H_
