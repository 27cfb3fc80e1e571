// Windows only: Listener/Client addresses are named pipes or TCP. One pipe instance at a time
// waits for a client; Accept hands the connected instance over and puts a fresh one in its place
// (as CPython's PipeListener). TCP is platform/windows/socket.h's. Unix-domain sockets are not
// offered (CPython offers none on Windows either).
#include "platform/listener.h"

#include <windows.h>

#include <utility>

#include "platform/windows/errors.h"
#include "platform/windows/named_pipe.h"
#include "platform/windows/socket.h"
#include "platform/windows/wide_strings.h"

namespace multiproc::platform {

namespace {

// A client that finds every instance busy waits this long for one, several times, then fails.
constexpr DWORD kBusyWaitMilliseconds = 1000;
constexpr int kBusyAttempts = 10;

absl::Status NotOffered() {
  return absl::UnimplementedError(
      "Unix-domain socket addresses are not offered on Windows; use a named pipe "
      "(\\\\.\\pipe\\...) or TCP (host:port)");
}

absl::StatusOr<OwnedHandle> NextInstance(const std::string& address, bool first) {
  absl::StatusOr<std::wstring> name = windows::Utf8ToWide(address);
  if (!name.ok()) return name.status();
  // The first instance claims the name: if someone else holds it, fail rather than join them.
  DWORD open_mode = PIPE_ACCESS_DUPLEX | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
  return windows::CreatePipeInstance(*name, open_mode, PIPE_UNLIMITED_INSTANCES);
}

}  // namespace

AddressFamily DefaultAddressFamily() { return AddressFamily::kNamedPipe; }

bool AddressFamilySupported(AddressFamily family) { return family != AddressFamily::kUnix; }

absl::StatusOr<StreamListener> StreamListener::Listen(AddressFamily family, std::string address,
                                                      int backlog) {
  StreamListener listener;
  listener.family_ = family;
  if (family == AddressFamily::kTcp) {
    absl::StatusOr<OwnedHandle> socket =
        windows::ListenTcp(address.empty() ? "127.0.0.1:0" : address, backlog, listener.address_);
    if (!socket.ok()) return socket.status();
    listener.handle_ = std::move(*socket);
    return listener;
  }
  if (family != AddressFamily::kNamedPipe) return NotOffered();
  if (address.empty()) {
    absl::StatusOr<std::wstring> name = windows::UniquePipeName();
    if (!name.ok()) return name.status();
    address = windows::WideToUtf8(*name);
  }
  listener.address_ = std::move(address);
  absl::StatusOr<OwnedHandle> instance = NextInstance(listener.address_, /*first=*/true);
  if (!instance.ok()) return instance.status();
  listener.handle_ = std::move(*instance);
  return listener;
}

absl::StatusOr<OwnedHandle> StreamListener::Accept() {
  if (!handle_.valid()) return absl::FailedPreconditionError("the listener is closed");
  if (family_ == AddressFamily::kTcp) return windows::AcceptTcp(handle_.get());
  absl::Status connected = windows::WaitForPipeClient(handle_.get());
  if (!connected.ok()) {
    // This instance is spent: a fresh one takes its place, or every later Accept would fail on
    // it again and every client would find the pipe busy.
    absl::StatusOr<OwnedHandle> fresh = NextInstance(address_, /*first=*/false);
    if (fresh.ok()) handle_ = std::move(*fresh);
    return connected;
  }
  absl::StatusOr<OwnedHandle> next = NextInstance(address_, /*first=*/false);
  if (!next.ok()) return next.status();
  return std::exchange(handle_, std::move(*next));
}

void StreamListener::Close() { handle_.reset(); }

absl::StatusOr<OwnedHandle> ConnectTo(AddressFamily family, const std::string& address) {
  if (family == AddressFamily::kTcp) return windows::ConnectTcp(address);
  if (family != AddressFamily::kNamedPipe) return NotOffered();
  absl::StatusOr<std::wstring> name = windows::Utf8ToWide(address);
  if (!name.ok()) return name.status();
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<OwnedHandle> client =
        windows::OpenPipeClient(*name, GENERIC_READ | GENERIC_WRITE);
    // ERROR_PIPE_BUSY (every instance taken) is the one AlreadyExists here.
    if (client.ok() || attempt == kBusyAttempts || !absl::IsAlreadyExists(client.status())) {
      return client;
    }
    WaitNamedPipeW(name->c_str(), kBusyWaitMilliseconds);
  }
}

void RemoveAbandonedAddress(const std::string&) {}

}  // namespace multiproc::platform
