// Windows only: closing, duplicating and flagging HANDLEs for OwnedHandle and handle.h.
#include "platform/handle.h"

#include <windows.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "platform/windows/errors.h"
#include "platform/windows/native_handle.h"
#include "platform/windows/socket.h"

namespace multiproc::platform {

using windows::IsInvalid;
using windows::LastErrorStatus;
using windows::ToNativeHandle;
using windows::ToWin32Handle;

namespace {

absl::Status InvalidHandleError(const char* operation) {
  return absl::InvalidArgumentError(absl::StrCat(operation, " of an invalid handle"));
}

}  // namespace

absl::StatusOr<OwnedHandle> OwnedHandle::Duplicate() const {
  if (IsInvalid(handle_)) return InvalidHandleError("Duplicate");
  // A duplicated socket handle shares Winsock's state with the original, and closing either one
  // breaks the other; a TCP connection stays in the process that opened it.
  if (windows::IsSocket(handle_)) {
    return absl::UnimplementedError(
        "a TCP connection cannot be duplicated or sent to another process on Windows");
  }
  HANDLE copy = nullptr;
  if (!DuplicateHandle(GetCurrentProcess(), ToWin32Handle(handle_), GetCurrentProcess(), &copy, 0,
                       /*bInheritHandle=*/FALSE, DUPLICATE_SAME_ACCESS)) {
    return LastErrorStatus("DuplicateHandle");
  }
  return OwnedHandle(ToNativeHandle(copy));
}

absl::Status SetInheritable(NativeHandle handle, bool inheritable) {
  if (IsInvalid(handle)) return InvalidHandleError("SetInheritable");
  if (!SetHandleInformation(ToWin32Handle(handle), HANDLE_FLAG_INHERIT,
                            inheritable ? HANDLE_FLAG_INHERIT : 0)) {
    return LastErrorStatus("SetHandleInformation");
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> IsInheritable(NativeHandle handle) {
  if (IsInvalid(handle)) return InvalidHandleError("IsInheritable");
  DWORD flags = 0;
  if (!GetHandleInformation(ToWin32Handle(handle), &flags)) {
    return LastErrorStatus("GetHandleInformation");
  }
  return (flags & HANDLE_FLAG_INHERIT) != 0;
}

bool IsOpen(NativeHandle handle) {
  DWORD flags = 0;
  return !IsInvalid(handle) && GetHandleInformation(ToWin32Handle(handle), &flags);
}

// Winsock keeps state per socket that only closesocket releases.
void CloseNativeHandle(NativeHandle handle) {
  if (IsInvalid(handle)) return;
  if (windows::IsSocket(handle)) {
    windows::CloseSocket(handle);
  } else {
    CloseHandle(ToWin32Handle(handle));
  }
}

}  // namespace multiproc::platform
