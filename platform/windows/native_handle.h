// Windows only: conversions between NativeHandle (an intptr_t) and HANDLE.
#ifndef MULTIPROC_PLATFORM_WINDOWS_NATIVE_HANDLE_H_
#define MULTIPROC_PLATFORM_WINDOWS_NATIVE_HANDLE_H_

#include <windows.h>

#include "platform/handle.h"

namespace multiproc::platform::windows {

inline HANDLE ToWin32Handle(NativeHandle handle) { return reinterpret_cast<HANDLE>(handle); }

// Win32 reports failure as NULL from some calls and INVALID_HANDLE_VALUE from others; multiproc
// knows only kInvalidHandle (the same bits as INVALID_HANDLE_VALUE).
inline NativeHandle ToNativeHandle(HANDLE handle) {
  return handle == nullptr ? kInvalidHandle : reinterpret_cast<NativeHandle>(handle);
}

// kInvalidHandle is also the value of GetCurrentProcess()'s pseudo-handle, so Win32 calls would
// happily accept it as "this process": every entry point that takes a handle checks it first.
inline bool IsInvalid(NativeHandle handle) { return handle == kInvalidHandle || handle == 0; }

}  // namespace multiproc::platform::windows

#endif  // MULTIPROC_PLATFORM_WINDOWS_NATIVE_HANDLE_H_
