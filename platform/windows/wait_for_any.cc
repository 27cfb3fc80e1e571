// Windows only: waiting on a mix of pipe ends and waitable kernel objects (process handles,
// events). Pipes are not waitable objects, so pipes are polled with PeekNamedPipe between short
// waits on the waitable ones; WaitForMultipleObjects takes at most 64 handles, so larger sets are
// waited on in slices and every handle is checked after each.
#include <windows.h>

#include <algorithm>

#include "absl/time/clock.h"
#include "platform/wait.h"
#include "platform/windows/errors.h"
#include "platform/windows/native_handle.h"

namespace multiproc::platform {

namespace {

bool IsPipe(NativeHandle handle) {
  return GetFileType(windows::ToWin32Handle(handle)) == FILE_TYPE_PIPE;
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

std::vector<size_t> ReadyNow(absl::Span<const NativeHandle> handles,
                             const std::vector<bool>& is_pipe) {
  std::vector<size_t> ready;
  for (size_t i = 0; i < handles.size(); ++i) {
    if (is_pipe[i] ? PipeIsReady(handles[i]) : ObjectIsSignaled(handles[i])) ready.push_back(i);
  }
  return ready;
}

// Sleeps until one of the waitable objects is signaled or `slice` passes. With more than 64
// objects (WaitForMultipleObjects' limit) it sleeps on the first 64 only; ReadyNow checks every
// one of them after each slice, so the others are seen within a slice.
void WaitOnObjects(absl::Span<const NativeHandle> handles, const std::vector<bool>& is_pipe,
                   DWORD slice_milliseconds) {
  std::vector<HANDLE> objects;
  for (size_t i = 0; i < handles.size() && objects.size() < MAXIMUM_WAIT_OBJECTS; ++i) {
    if (!is_pipe[i]) objects.push_back(windows::ToWin32Handle(handles[i]));
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
  std::vector<bool> is_pipe;
  for (NativeHandle handle : handles) {
    if (windows::IsInvalid(handle)) return absl::InvalidArgumentError("WaitForAny: invalid handle");
    is_pipe.push_back(IsPipe(handle));
  }
  bool has_pipes = std::find(is_pipe.begin(), is_pipe.end(), true) != is_pipe.end();
  absl::Time deadline =
      timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  DWORD slice = 1;  // pipes are polled: start fast, back off to 10 ms
  for (;;) {
    std::vector<size_t> ready = ReadyNow(handles, is_pipe);
    absl::Duration left = deadline - absl::Now();
    if (!ready.empty() || left <= absl::ZeroDuration()) return ready;
    DWORD left_ms = deadline == absl::InfiniteFuture()
                        ? INFINITE
                        : static_cast<DWORD>(
                              absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
    bool batched = handles.size() > MAXIMUM_WAIT_OBJECTS;
    DWORD wait = (has_pipes || batched) ? std::min(slice, left_ms) : left_ms;
    WaitOnObjects(handles, is_pipe, wait);
    slice = std::min<DWORD>(slice * 2, 10);
  }
}

}  // namespace multiproc::platform
