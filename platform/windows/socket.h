// Windows only: TCP stream sockets as multiproc handles. A SOCKET is a kernel handle, so it is
// kept in an OwnedHandle like a pipe end; what differs is how it is read, written, polled and
// closed, and pipe.cc, wait_for_any.cc and handle.cc ask IsSocket which way to take. Sockets stay
// in blocking mode: a reader blocks in recv as it would in ReadFile on a pipe.
#ifndef MULTIPROC_PLATFORM_WINDOWS_SOCKET_H_
#define MULTIPROC_PLATFORM_WINDOWS_SOCKET_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "platform/handle.h"

namespace multiproc::platform::windows {

// Whether `handle` is a socket. Pipe ends, events and processes are told apart without a Winsock
// call, so a process that never uses TCP never starts Winsock.
bool IsSocket(NativeHandle handle);

// A non-inheritable listening socket at "host:port" (port 0: any free one); `bound_address` is
// set to the "host:port" it got.
absl::StatusOr<OwnedHandle> ListenTcp(const std::string& address, int backlog,
                                      std::string& bound_address);

// The next connection to `listener`, non-inheritable (accepted sockets inherit the flag).
absl::StatusOr<OwnedHandle> AcceptTcp(NativeHandle listener);

// A connection to a TCP listener at "host:port"; Unavailable if nobody listens there.
absl::StatusOr<OwnedHandle> ConnectTcp(const std::string& address);

// Up to buffer.size() bytes, blocking until at least one arrives; 0 once the peer has closed or
// reset the connection.
absl::StatusOr<size_t> ReceiveSome(NativeHandle socket, absl::Span<std::byte> buffer);

// All of `bytes`, or Unavailable once the peer is gone.
absl::Status SendAll(NativeHandle socket, absl::Span<const std::byte> bytes);

// Whether a receive would return at once: bytes wait, or the peer is gone.
bool SocketIsReady(NativeHandle socket);

void CloseSocket(NativeHandle socket);

}  // namespace multiproc::platform::windows

#endif  // MULTIPROC_PLATFORM_WINDOWS_SOCKET_H_
