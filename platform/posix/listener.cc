// POSIX only: Unix-domain and TCP (IPv4) stream sockets.
#include "platform/listener.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "platform/resource_tracker.h"

namespace multiproc::platform {

namespace {

int Descriptor(const OwnedHandle& handle) { return static_cast<int>(handle.get()); }

absl::StatusOr<OwnedHandle> NewSocket(int domain) {
  int descriptor = ::socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (descriptor < 0) return absl::ErrnoToStatus(errno, "socket");
  return OwnedHandle(descriptor);
}

absl::StatusOr<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // A leading NUL would mean the abstract namespace, which has no permissions at all.
  if (path.empty() || path.size() >= sizeof(address.sun_path) || path.find('\0') != path.npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("unusable Unix-domain socket path \"", path, "\""));
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  return address;
}

// Small messages in both directions (a handshake, a ping-pong) must not wait for Nagle.
void DisableNagle(const OwnedHandle& socket) {
  int on = 1;
  ::setsockopt(Descriptor(socket), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

absl::StatusOr<sockaddr_in> TcpAddress(const std::string& address) {
  absl::StatusOr<HostPort> parsed = ParseHostPort(address);
  if (!parsed.ok()) return parsed.status();
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int failure = ::getaddrinfo(parsed->host.c_str(), nullptr, &hints, &found);
  if (failure != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve \"", parsed->host, "\": ", gai_strerror(failure)));
  }
  sockaddr_in result;
  std::memcpy(&result, found->ai_addr, sizeof(result));
  ::freeaddrinfo(found);
  result.sin_port = htons(static_cast<uint16_t>(parsed->port));
  return result;
}

std::string TemporaryRoot() {
  const char* root = std::getenv("TMPDIR");
  return root != nullptr && root[0] != '\0' ? root : "/tmp";
}

// A fresh 0700 directory (mkdtemp's mode) to hold a generated socket path.
absl::StatusOr<std::string> MakePrivateDirectory() {
  std::string pattern = TemporaryRoot() + "/multiproc-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) return absl::ErrnoToStatus(errno, "mkdtemp");
  return std::string(buffer.data());
}

absl::Status ListenUnix(const std::string& path, int backlog, OwnedHandle& socket) {
  absl::StatusOr<sockaddr_un> address = UnixAddress(path);
  if (!address.ok()) return address.status();
  absl::StatusOr<OwnedHandle> created = NewSocket(AF_UNIX);
  if (!created.ok()) return created.status();
  if (::bind(Descriptor(*created), reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) <
      0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind(\"", path, "\")"));
  }
  // Only this user may connect (the directory of a generated path is 0700 already).
  if (::chmod(path.c_str(), 0600) < 0 || ::listen(Descriptor(*created), backlog) < 0) {
    absl::Status failed = absl::ErrnoToStatus(errno, "chmod/listen");
    ::unlink(path.c_str());
    return failed;
  }
  socket = std::move(*created);
  return absl::OkStatus();
}

absl::Status ListenTcp(const std::string& requested, int backlog, OwnedHandle& socket,
                       std::string& bound_address) {
  absl::StatusOr<sockaddr_in> address = TcpAddress(requested);
  if (!address.ok()) return address.status();
  absl::StatusOr<OwnedHandle> created = NewSocket(AF_INET);
  if (!created.ok()) return created.status();
  int on = 1;
  ::setsockopt(Descriptor(*created), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (::bind(Descriptor(*created), reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) <
          0 ||
      ::listen(Descriptor(*created), backlog) < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind/listen(", requested, ")"));
  }
  sockaddr_in bound{};
  socklen_t length = sizeof(bound);
  if (::getsockname(Descriptor(*created), reinterpret_cast<sockaddr*>(&bound), &length) < 0) {
    return absl::ErrnoToStatus(errno, "getsockname");
  }
  char host[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &bound.sin_addr, host, sizeof(host));
  bound_address = absl::StrCat(host, ":", ntohs(bound.sin_port));
  socket = std::move(*created);
  return absl::OkStatus();
}

template <typename SocketAddress>
absl::StatusOr<OwnedHandle> ConnectSocket(int domain, const SocketAddress& target,
                                          const std::string& address) {
  absl::StatusOr<OwnedHandle> socket = NewSocket(domain);
  if (!socket.ok()) return socket.status();
  if (::connect(Descriptor(*socket), reinterpret_cast<const sockaddr*>(&target), sizeof(target)) <
      0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("connect(\"", address, "\")"));
  }
  return socket;
}

absl::Status NotOffered(AddressFamily family) {
  return absl::UnimplementedError(family == AddressFamily::kNamedPipe
                                      ? "named pipe addresses exist only on Windows"
                                      : "unknown address family");
}

}  // namespace

AddressFamily DefaultAddressFamily() { return AddressFamily::kUnix; }

bool AddressFamilySupported(AddressFamily family) { return family != AddressFamily::kNamedPipe; }

absl::StatusOr<StreamListener> StreamListener::Listen(AddressFamily family, std::string address,
                                                      int backlog) {
  StreamListener listener;
  listener.family_ = family;
  if (family == AddressFamily::kTcp) {
    absl::Status listening = ListenTcp(address.empty() ? "127.0.0.1:0" : address, backlog,
                                       listener.handle_, listener.address_);
    if (!listening.ok()) return listening;
    return listener;
  }
  if (family != AddressFamily::kUnix) return NotOffered(family);
  if (address.empty()) {
    absl::StatusOr<std::string> directory = MakePrivateDirectory();
    if (!directory.ok()) return directory.status();
    // Removed when this process ends without closing the listener (killed, say); best effort.
    (void)TrackDirectory(*directory);
    listener.private_directory_ = *directory;
    static std::atomic<uint64_t> listeners_made{0};
    address = absl::StrCat(*directory, "/listener-", listeners_made.fetch_add(1));
  }
  listener.address_ = address;
  absl::Status listening = ListenUnix(address, backlog, listener.handle_);
  if (!listening.ok()) return listening;  // the destructor removes the private directory
  (void)TrackSocketFile(address);
  return listener;
}

absl::StatusOr<OwnedHandle> StreamListener::Accept() {
  if (!handle_.valid()) return absl::FailedPreconditionError("the listener is closed");
  for (;;) {
    int accepted = ::accept4(Descriptor(handle_), nullptr, nullptr, SOCK_CLOEXEC);
    if (accepted >= 0) {
      OwnedHandle connection(accepted);
      if (family_ == AddressFamily::kTcp) DisableNagle(connection);
      return connection;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    return absl::ErrnoToStatus(errno, "accept");
  }
}

void StreamListener::Close() {
  if (handle_.valid() && family_ == AddressFamily::kUnix) {
    ::unlink(address_.c_str());
    (void)Untrack(address_);
  }
  handle_.reset();
  if (!private_directory_.empty()) {
    ::rmdir(private_directory_.c_str());
    (void)Untrack(private_directory_);
    private_directory_.clear();
  }
}

void RemoveAbandonedAddress(const std::string& address) {
  if (address.empty() || address.front() != '/') return;  // not a Unix socket path
  ::unlink(address.c_str());
  std::string directory = address.substr(0, address.rfind('/'));
  std::string name = directory.substr(directory.rfind('/') + 1);
  // Only the private directory Listen generated, and only if it is empty now.
  if (name.rfind("multiproc-", 0) == 0) ::rmdir(directory.c_str());
}

absl::StatusOr<OwnedHandle> ConnectTo(AddressFamily family, const std::string& address) {
  if (family == AddressFamily::kTcp) {
    absl::StatusOr<sockaddr_in> target = TcpAddress(address);
    if (!target.ok()) return target.status();
    absl::StatusOr<OwnedHandle> socket = ConnectSocket(AF_INET, *target, address);
    if (socket.ok()) DisableNagle(*socket);
    return socket;
  }
  if (family != AddressFamily::kUnix) return NotOffered(family);
  absl::StatusOr<sockaddr_un> target = UnixAddress(address);
  if (!target.ok()) return target.status();
  return ConnectSocket(AF_UNIX, *target, address);
}

}  // namespace multiproc::platform
