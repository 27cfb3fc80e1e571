// Windows only: pipes as overlapped byte-mode named pipes with unguessable one-instance names.
// ReadSome and WriteAll also serve TCP connections (Listener/Client), handing them to socket.h.
#include "platform/pipe.h"

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "platform/crypto.h"
#include "platform/wait.h"
#include "platform/windows/errors.h"
#include "platform/windows/named_pipe.h"
#include "platform/windows/native_handle.h"
#include "platform/windows/owner_only_security.h"
#include "platform/windows/socket.h"
#include "platform/windows/wide_strings.h"

namespace multiproc::platform {

using windows::IsInvalid;
using windows::LastErrorStatus;
using windows::ToNativeHandle;
using windows::ToWin32Handle;
using windows::Win32ErrorStatus;

namespace {

// Advisory on Windows (the system grows or shrinks it), but it sets how far a writer runs ahead.
constexpr DWORD kPipeBufferSize = 64 * 1024;

// An event for one overlapped call. Not a thread_local kept per thread: under MinGW, a
// thread_local with a destructor can run that destructor after emutls has freed its storage when
// a std::thread ends (the handle's reset wrote -1 into freed heap memory and crashed a Pool's
// result-handler thread at exit under Wine).
absl::StatusOr<OwnedHandle> NewIoEvent() {
  OwnedHandle event(ToNativeHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr)));
  if (!event.valid()) return LastErrorStatus("CreateEventW");
  return event;
}

// How one overlapped ReadFile/WriteFile/ConnectNamedPipe ended.
struct IoOutcome {
  DWORD transferred = 0;
  DWORD error = ERROR_SUCCESS;
};

// Waits for an overlapped call that returned `started`. Wine quirk: a call that completes at once
// (notably with ERROR_MORE_DATA) may leave its own byte count at 0, so the count always comes from
// GetOverlappedResult.
IoOutcome FinishIo(HANDLE handle, OVERLAPPED& overlapped, BOOL started) {
  if (!started) {
    DWORD error = GetLastError();
    if (error != ERROR_IO_PENDING) return {0, error};
  }
  IoOutcome outcome;
  if (!GetOverlappedResult(handle, &overlapped, &outcome.transferred, /*bWait=*/TRUE)) {
    outcome.error = GetLastError();
  }
  return outcome;
}

// Starts one overlapped call with `start` (given the OVERLAPPED to use) and waits for it.
template <typename StartIo>
absl::StatusOr<IoOutcome> RunOverlapped(HANDLE handle, StartIo start) {
  absl::StatusOr<OwnedHandle> event = NewIoEvent();
  if (!event.ok()) return event.status();
  OVERLAPPED overlapped{};
  overlapped.hEvent = ToWin32Handle(event->get());
  BOOL started = start(&overlapped);
  return FinishIo(handle, overlapped, started);
}

}  // namespace

namespace windows {

// A name nobody else can predict: pid and counter keep our own pipes apart, the random part keeps
// another local process from creating or connecting to the pipe first.
absl::StatusOr<std::wstring> UniquePipeName() {
  static std::atomic<uint64_t> pipes_created{0};
  uint64_t random_bits = 0;
  absl::Status filled =
      FillRandom({reinterpret_cast<std::byte*>(&random_bits), sizeof(random_bits)});
  if (!filled.ok()) return filled;
  return windows::Utf8ToWide(absl::StrCat("\\\\.\\pipe\\multiproc-", GetCurrentProcessId(), "-",
                                          pipes_created.fetch_add(1), "-", absl::Hex(random_bits)));
}

// Not inheritable, and only this user (and LocalSystem) may open the pipe.
absl::StatusOr<OwnedHandle> CreatePipeInstance(const std::wstring& name, DWORD open_mode,
                                               DWORD max_instances) {
  absl::StatusOr<SECURITY_ATTRIBUTES*> owner_only = windows::OwnerOnlySecurity();
  if (!owner_only.ok()) return owner_only.status();
  HANDLE server = CreateNamedPipeW(
      name.c_str(), open_mode | FILE_FLAG_OVERLAPPED,
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, max_instances,
      kPipeBufferSize, kPipeBufferSize, /*nDefaultTimeOut=*/0, *owner_only);
  if (server == INVALID_HANDLE_VALUE) return LastErrorStatus("CreateNamedPipeW");
  return OwnedHandle(ToNativeHandle(server));
}

absl::StatusOr<OwnedHandle> OpenPipeClient(const std::wstring& name, DWORD access) {
  HANDLE client = CreateFileW(name.c_str(), access, /*dwShareMode=*/0, nullptr, OPEN_EXISTING,
                              FILE_FLAG_OVERLAPPED, nullptr);
  if (client == INVALID_HANDLE_VALUE) return LastErrorStatus("CreateFileW(named pipe)");
  return OwnedHandle(ToNativeHandle(client));
}

// ERROR_PIPE_CONNECTED means the client opened the pipe before this call: connected too.
absl::Status WaitForPipeClient(NativeHandle server) {
  HANDLE handle = ToWin32Handle(server);
  absl::StatusOr<IoOutcome> connected = RunOverlapped(
      handle, [&](OVERLAPPED* overlapped) { return ConnectNamedPipe(handle, overlapped); });
  if (!connected.ok()) return connected.status();
  // ERROR_NO_DATA: a client connected and closed before this call. It counts as a connection
  // (whose reads end at once), so the listener moves on to a fresh instance: an error here would
  // leave it retrying this dead instance forever and every later client finding the pipe busy.
  if (connected->error == ERROR_SUCCESS || connected->error == ERROR_PIPE_CONNECTED ||
      connected->error == ERROR_NO_DATA) {
    return absl::OkStatus();
  }
  return Win32ErrorStatus("ConnectNamedPipe", connected->error);
}

}  // namespace windows

namespace {

// FILE_FLAG_FIRST_PIPE_INSTANCE and a single instance: if the name were already taken, creation
// fails instead of joining someone else's pipe.
absl::StatusOr<PipePair> CreateConnectedPipe(DWORD server_access, DWORD client_access) {
  absl::StatusOr<std::wstring> name = windows::UniquePipeName();
  if (!name.ok()) return name.status();
  absl::StatusOr<OwnedHandle> server =
      windows::CreatePipeInstance(*name, server_access | FILE_FLAG_FIRST_PIPE_INSTANCE, 1);
  if (!server.ok()) return server.status();
  absl::StatusOr<OwnedHandle> client = windows::OpenPipeClient(*name, client_access);
  if (!client.ok()) return client.status();
  if (absl::Status connected = windows::WaitForPipeClient(server->get()); !connected.ok()) {
    return connected;
  }
  return PipePair{std::move(*server), std::move(*client)};
}

// Win32 I/O calls take DWORD lengths; spans may be longer.
DWORD ChunkLength(size_t remaining) {
  return static_cast<DWORD>(std::min<size_t>(remaining, MAXDWORD));
}

// The errors a reader sees once the writer has closed its end or died.
bool IsEndOfStream(DWORD error) {
  return error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED ||
         error == ERROR_HANDLE_EOF;
}

absl::Status InvalidPipeEnd() { return absl::InvalidArgumentError("invalid pipe handle"); }

absl::StatusOr<IoOutcome> ReadOnce(HANDLE pipe, absl::Span<std::byte> buffer) {
  return RunOverlapped(pipe, [&](OVERLAPPED* overlapped) {
    return ReadFile(pipe, buffer.data(), ChunkLength(buffer.size()), nullptr, overlapped);
  });
}

absl::StatusOr<IoOutcome> WriteOnce(HANDLE pipe, absl::Span<const std::byte> bytes) {
  return RunOverlapped(pipe, [&](OVERLAPPED* overlapped) {
    return WriteFile(pipe, bytes.data(), ChunkLength(bytes.size()), nullptr, overlapped);
  });
}

}  // namespace

absl::StatusOr<PipePair> CreateDuplexPipe() {
  return CreateConnectedPipe(PIPE_ACCESS_DUPLEX, GENERIC_READ | GENERIC_WRITE);
}

absl::StatusOr<PipePair> CreateSimplexPipe() {
  // The server end (`first`) reads, the client end (`second`) writes. FILE_READ_ATTRIBUTES lets
  // GetNamedPipeInfo identify the writing end as a pipe (windows::IsSocket) in one call.
  return CreateConnectedPipe(PIPE_ACCESS_INBOUND, GENERIC_WRITE | FILE_READ_ATTRIBUTES);
}

absl::Status WriteAll(NativeHandle pipe_end, absl::Span<const std::byte> bytes) {
  if (IsInvalid(pipe_end)) return InvalidPipeEnd();
  if (windows::IsSocket(pipe_end)) return windows::SendAll(pipe_end, bytes);
  HANDLE pipe = ToWin32Handle(pipe_end);
  while (!bytes.empty()) {
    absl::StatusOr<IoOutcome> written = WriteOnce(pipe, bytes);
    if (!written.ok()) return written.status();
    // ERROR_NO_DATA / ERROR_BROKEN_PIPE (the reader is gone) map to Unavailable.
    if (written->error != ERROR_SUCCESS) return Win32ErrorStatus("WriteFile", written->error);
    bytes.remove_prefix(written->transferred);
  }
  return absl::OkStatus();
}

// Two writes: a named pipe has no gather write for non-page-aligned buffers.
absl::Status WriteAllGathered(NativeHandle pipe_end, absl::Span<const std::byte> head,
                              absl::Span<const std::byte> body) {
  if (absl::Status written = WriteAll(pipe_end, head); !written.ok()) return written;
  return WriteAll(pipe_end, body);
}

absl::StatusOr<size_t> ReadSome(NativeHandle pipe_end, absl::Span<std::byte> buffer) {
  if (IsInvalid(pipe_end)) return InvalidPipeEnd();
  if (buffer.empty()) return 0;
  if (windows::IsSocket(pipe_end)) return windows::ReceiveSome(pipe_end, buffer);
  HANDLE pipe = ToWin32Handle(pipe_end);
  for (;;) {
    absl::StatusOr<IoOutcome> read = ReadOnce(pipe, buffer);
    if (!read.ok()) return read.status();
    if (IsEndOfStream(read->error)) return 0;
    if (read->error != ERROR_SUCCESS) return Win32ErrorStatus("ReadFile", read->error);
    // A zero-length write by the peer completes a read with 0 bytes; that is not end of stream.
    if (read->transferred > 0) return read->transferred;
  }
}

absl::StatusOr<bool> WaitReadable(NativeHandle pipe_end, absl::Duration timeout) {
  absl::StatusOr<std::vector<size_t>> ready = WaitForAny({pipe_end}, timeout);
  if (!ready.ok()) return ready.status();
  return !ready->empty();
}

}  // namespace multiproc::platform
