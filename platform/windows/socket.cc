// Windows only: TCP (IPv4) stream sockets through Winsock 2, started once on first use and never
// cleaned up (its state ends with the process).
#include "platform/windows/socket.h"

// winsock2.h before windows.h, which would otherwise pull in the old winsock.h (the build's
// WIN32_LEAN_AND_MEAN also prevents that, but this file must not depend on it).
// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
// clang-format on

#include <algorithm>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "platform/listener.h"
#include "platform/windows/errors.h"
#include "platform/windows/native_handle.h"

namespace multiproc::platform::windows {

namespace {

SOCKET SocketOf(NativeHandle handle) { return static_cast<SOCKET>(handle); }

NativeHandle HandleOf(SOCKET socket) { return static_cast<NativeHandle>(socket); }

// WSAStartup's result, 0 once Winsock is ready; its error is returned, not left for
// WSAGetLastError, which may not be called before a successful WSAStartup.
int StartWinsock() {
  static const int failure = [] {
    WSADATA data;
    return WSAStartup(MAKEWORD(2, 2), &data);
  }();
  return failure;
}

absl::Status WinsockUnavailable() {
  return Win32ErrorStatus("WSAStartup", static_cast<DWORD>(StartWinsock()));
}

absl::Status SocketErrorStatus(absl::string_view failed_call) {
  return Win32ErrorStatus(failed_call, static_cast<DWORD>(WSAGetLastError()));
}

// The errors a receiver sees once the peer has closed, reset or died: the end of the stream.
bool IsEndOfStream(int error) {
  return error == WSAECONNRESET || error == WSAECONNABORTED || error == WSAESHUTDOWN;
}

// Winsock calls take int lengths; spans may be longer.
int ChunkLength(size_t remaining) { return static_cast<int>(std::min<size_t>(remaining, INT_MAX)); }

// Not inheritable from birth: a child gets only the handles its launch lists.
absl::StatusOr<OwnedHandle> NewTcpSocket() {
  if (StartWinsock() != 0) return WinsockUnavailable();
  SOCKET created = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                              WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (created == INVALID_SOCKET) return SocketErrorStatus("WSASocketW");
  return OwnedHandle(HandleOf(created));
}

// Small messages in both directions (a handshake, a ping-pong) must not wait for Nagle.
void DisableNagle(const OwnedHandle& socket) {
  BOOL on = TRUE;
  setsockopt(SocketOf(socket.get()), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&on),
             sizeof(on));
}

absl::StatusOr<sockaddr_in> TcpAddress(const std::string& address) {
  absl::StatusOr<HostPort> parsed = ParseHostPort(address);
  if (!parsed.ok()) return parsed.status();
  if (StartWinsock() != 0) return WinsockUnavailable();
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int failure = getaddrinfo(parsed->host.c_str(), nullptr, &hints, &found); failure != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve \"", parsed->host, "\": Winsock error ", failure));
  }
  sockaddr_in result;
  std::memcpy(&result, found->ai_addr, sizeof(result));
  freeaddrinfo(found);
  result.sin_port = htons(static_cast<u_short>(parsed->port));
  return result;
}

absl::StatusOr<std::string> BoundAddress(const OwnedHandle& socket) {
  sockaddr_in bound{};
  int length = sizeof(bound);
  if (getsockname(SocketOf(socket.get()), reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    return SocketErrorStatus("getsockname");
  }
  char host[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &bound.sin_addr, host, sizeof(host));
  return absl::StrCat(host, ":", ntohs(bound.sin_port));
}

}  // namespace

bool IsSocket(NativeHandle handle) {
  if (IsInvalid(handle)) return false;
  HANDLE object = ToWin32Handle(handle);
  // Pipe ends, the common case, answer in one call; sockets are FILE_TYPE_PIPE too.
  if (GetNamedPipeInfo(object, nullptr, nullptr, nullptr, nullptr)) return false;
  if (GetFileType(object) != FILE_TYPE_PIPE || StartWinsock() != 0) return false;
  int type = 0;
  int length = sizeof(type);
  return getsockopt(SocketOf(handle), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type),
                    &length) == 0;
}

absl::StatusOr<OwnedHandle> ListenTcp(const std::string& address, int backlog,
                                      std::string& bound_address) {
  absl::StatusOr<sockaddr_in> target = TcpAddress(address);
  if (!target.ok()) return target.status();
  absl::StatusOr<OwnedHandle> socket = NewTcpSocket();
  if (!socket.ok()) return socket.status();
  // No SO_REUSEADDR (on Windows it would let another socket take the port over) and no
  // SO_EXCLUSIVEADDRUSE (it refuses a port whose old connections linger in TIME_WAIT, as a killed
  // server's do): the default, as CPython's Listener on Windows.
  if (bind(SocketOf(socket->get()), reinterpret_cast<const sockaddr*>(&*target), sizeof(*target)) !=
          0 ||
      listen(SocketOf(socket->get()), backlog) != 0) {
    return SocketErrorStatus(absl::StrCat("bind/listen(", address, ")"));
  }
  absl::StatusOr<std::string> bound = BoundAddress(*socket);
  if (!bound.ok()) return bound.status();
  bound_address = std::move(*bound);
  return socket;
}

absl::StatusOr<OwnedHandle> AcceptTcp(NativeHandle listener) {
  for (;;) {
    SOCKET accepted = accept(SocketOf(listener), nullptr, nullptr);
    if (accepted == INVALID_SOCKET) {
      // A client that gave up between connecting and being accepted is not the listener's fault.
      if (WSAGetLastError() == WSAECONNRESET) continue;
      return SocketErrorStatus("accept");
    }
    OwnedHandle connection(HandleOf(accepted));
    if (!SetHandleInformation(ToWin32Handle(connection.get()), HANDLE_FLAG_INHERIT, 0)) {
      return LastErrorStatus("SetHandleInformation(accepted socket)");
    }
    DisableNagle(connection);
    return connection;
  }
}

absl::StatusOr<OwnedHandle> ConnectTcp(const std::string& address) {
  absl::StatusOr<sockaddr_in> target = TcpAddress(address);
  if (!target.ok()) return target.status();
  absl::StatusOr<OwnedHandle> socket = NewTcpSocket();
  if (!socket.ok()) return socket.status();
  if (connect(SocketOf(socket->get()), reinterpret_cast<const sockaddr*>(&*target),
              sizeof(*target)) != 0) {
    return SocketErrorStatus(absl::StrCat("connect(\"", address, "\")"));
  }
  DisableNagle(*socket);
  return socket;
}

absl::StatusOr<size_t> ReceiveSome(NativeHandle socket, absl::Span<std::byte> buffer) {
  if (buffer.empty()) return 0;
  int received =
      recv(SocketOf(socket), reinterpret_cast<char*>(buffer.data()), ChunkLength(buffer.size()), 0);
  if (received >= 0) return static_cast<size_t>(received);
  if (IsEndOfStream(WSAGetLastError())) return 0;
  return SocketErrorStatus("recv");
}

absl::Status SendAll(NativeHandle socket, absl::Span<const std::byte> bytes) {
  while (!bytes.empty()) {
    int sent = send(SocketOf(socket), reinterpret_cast<const char*>(bytes.data()),
                    ChunkLength(bytes.size()), 0);
    if (sent == SOCKET_ERROR) return SocketErrorStatus("send");
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return absl::OkStatus();
}

bool SocketIsReady(NativeHandle socket) {
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(SocketOf(socket), &readable);
  timeval no_wait{};
  return select(0, &readable, nullptr, nullptr, &no_wait) > 0;
}

void CloseSocket(NativeHandle socket) { closesocket(SocketOf(socket)); }

}  // namespace multiproc::platform::windows
