// Windows only: waiting on a mix of pipe ends, TCP sockets and waitable kernel objects (process
// handles, events). Pipes and blocking sockets are not waitable objects, so they are polled
// (PeekNamedPipe, select with no wait) between short waits on the waitable ones;
// WaitForMultipleObjects takes at most 64 handles, so larger sets are waited on in slices and every
// handle is checked after each.
#include <windows.h>

#include <algorithm>

#include "absl/time/clock.h"
#include "platform/wait.h"
#include "platform/windows/errors.h"
#include "platform/windows/native_handle.h"
#include "platform/windows/socket.h"

namespace multiproc::platform {

namespace {

// How a handle's readiness is found out.
enum class Kind { kPipe, kSocket, kWaitable };

Kind KindOf(NativeHandle handle) {
  if (GetFileType(windows::ToWin32Handle(handle)) != FILE_TYPE_PIPE) return Kind::kWaitable;
  return windows::IsSocket(handle) ? Kind::kSocket : Kind::kPipe;
}

// A pipe is ready when bytes wait in it or its peer is gone (the next read reports the end).
// Other failures (e.g. peeking a write-only end) do not make it ready.
bool PipeIsReady(NativeHandle handle) {
  DWORD available = 0;
  if (!PeekNamedPipe(windows::ToWin32Handle(handle), nullptr, 0, nullptr, &available, nullptr)) {
    DWORD error = GetLastError();
    return error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED;
  }
  return available > 0;
}

bool ObjectIsSignaled(NativeHandle handle) {
  return WaitForSingleObject(windows::ToWin32Handle(handle), 0) == WAIT_OBJECT_0;
}

bool IsReady(NativeHandle handle, Kind kind) {
  switch (kind) {
    case Kind::kPipe:
      return PipeIsReady(handle);
    case Kind::kSocket:
      return windows::SocketIsReady(handle);
    case Kind::kWaitable:
      return ObjectIsSignaled(handle);
  }
  return false;
}

std::vector<size_t> ReadyNow(absl::Span<const NativeHandle> handles,
                             const std::vector<Kind>& kinds) {
  std::vector<size_t> ready;
  for (size_t i = 0; i < handles.size(); ++i) {
    if (IsReady(handles[i], kinds[i])) ready.push_back(i);
  }
  return ready;
}

// Sleeps until one of the waitable objects is signaled or `slice` passes. With more than 64
// objects (WaitForMultipleObjects' limit) it sleeps on the first 64 only; ReadyNow checks every
// one of them after each slice, so the others are seen within a slice.
void WaitOnObjects(absl::Span<const NativeHandle> handles, const std::vector<Kind>& kinds,
                   DWORD slice_milliseconds) {
  std::vector<HANDLE> objects;
  for (size_t i = 0; i < handles.size() && objects.size() < MAXIMUM_WAIT_OBJECTS; ++i) {
    if (kinds[i] == Kind::kWaitable) objects.push_back(windows::ToWin32Handle(handles[i]));
  }
  if (objects.empty()) {
    Sleep(slice_milliseconds);
    return;
  }
  WaitForMultipleObjects(static_cast<DWORD>(objects.size()), objects.data(), FALSE,
                         slice_milliseconds);
}

}  // namespace

absl::StatusOr<std::vector<size_t>> WaitForAny(absl::Span<const NativeHandle> handles,
                                               absl::Duration timeout) {
  std::vector<Kind> kinds;
  for (NativeHandle handle : handles) {
    if (windows::IsInvalid(handle)) return absl::InvalidArgumentError("WaitForAny: invalid handle");
    kinds.push_back(KindOf(handle));
  }
  bool polled =
      std::any_of(kinds.begin(), kinds.end(), [](Kind kind) { return kind != Kind::kWaitable; });
  absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  DWORD slice = 1;  // pipes and sockets are polled: start fast, back off to 10 ms
  for (;;) {
    std::vector<size_t> ready = ReadyNow(handles, kinds);
    absl::Duration left = deadline - absl::Now();
    if (!ready.empty() || left <= absl::ZeroDuration()) return ready;
    DWORD left_ms = deadline == absl::InfiniteFuture()
                        ? INFINITE
                        : static_cast<DWORD>(
                              absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
    bool batched = handles.size() > MAXIMUM_WAIT_OBJECTS;
    DWORD wait = (polled || batched) ? std::min(slice, left_ms) : left_ms;
    WaitOnObjects(handles, kinds, wait);
    slice = std::min<DWORD>(slice * 2, 10);
  }
}

}  // namespace multiproc::platform
