// Listening for and opening byte-stream connections by address, the ground under
// multiproc::Listener and multiproc::Client: Unix-domain sockets (POSIX), named pipes (Windows)
// and TCP (both). Accepted and connected ends are ordinary pipe ends:
// platform/pipe.h reads and writes them and platform/wait.h waits on them.
//
//   absl::StatusOr<platform::StreamListener> listener =
//       platform::StreamListener::Listen(platform::DefaultAddressFamily(), "");
//   // another process: platform::ConnectTo(family, listener->address())
//   absl::StatusOr<platform::OwnedHandle> accepted = listener->Accept();
#ifndef MULTIPROC_PLATFORM_LISTENER_H_
#define MULTIPROC_PLATFORM_LISTENER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "platform/handle.h"

namespace multiproc::platform {

// Python's 'AF_UNIX', 'AF_PIPE' and 'AF_INET'. Addresses are strings: a filesystem path, a
// pipe name (\\.\pipe\...), or "host:port".
enum class AddressFamily { kUnix, kNamedPipe, kTcp };

// Unix-domain sockets on POSIX, named pipes on Windows.
AddressFamily DefaultAddressFamily();

// Whether this platform can listen on and connect to addresses of `family`.
bool AddressFamilySupported(AddressFamily family);

// The family an address names, as Python's address_type: "\\.\pipe\..." is a named pipe,
// "host:port" (no '/' or '\') is TCP, anything else a Unix-domain socket path.
AddressFamily AddressFamilyOf(absl::string_view address);

// "host:port" split; InvalidArgument unless the port is a number up to 65535.
struct HostPort {
  std::string host;
  int port = 0;
};
absl::StatusOr<HostPort> ParseHostPort(absl::string_view address);

class StreamListener {
 public:
  // Listens at `address`, or at a fresh unguessable address of `family` if it is empty:
  //   kUnix: the socket file is made 0600 inside a new 0700 directory (never the abstract
  //     namespace, whose names any local user can connect to: CPython's CVE-2022-42919); an
  //     explicit path is made 0600 too.
  //   kTcp: "127.0.0.1:0" picks a free loopback port; address() says which.
  //   kNamedPipe: one instance at a time waits for a client, refusing remote clients.
  // Unimplemented for a family the platform does not offer.
  static absl::StatusOr<StreamListener> Listen(AddressFamily family, std::string address,
                                               int backlog = 16);

  StreamListener(StreamListener&& other) noexcept;
  StreamListener& operator=(StreamListener&& other) noexcept;
  StreamListener(const StreamListener&) = delete;
  StreamListener& operator=(const StreamListener&) = delete;
  ~StreamListener() { Close(); }

  // Blocks until a client connects; returns the connected end. FailedPrecondition once closed.
  absl::StatusOr<OwnedHandle> Accept();

  const std::string& address() const { return address_; }
  AddressFamily family() const { return family_; }
  bool closed() const { return !handle_.valid(); }

  // Stops listening and removes what Listen created (socket file, private directory).
  void Close();

 private:
  StreamListener() = default;

  AddressFamily family_ = AddressFamily::kUnix;
  std::string address_;
  OwnedHandle handle_;
  std::string private_directory_;  // kUnix with a generated address: removed on Close
};

// Opens a connection to a listener at `address`. Unavailable if nobody listens there.
absl::StatusOr<OwnedHandle> ConnectTo(AddressFamily family, const std::string& address);

// Removes what a listener at `address` left behind when its process died before Close could
// run (killed): a Unix socket file and the private multiproc-* directory Listen generated for it.
// Called by whoever started that process, once it has ended. Nothing to do for TCP addresses and
// Windows named pipes, which vanish with their process.
void RemoveAbandonedAddress(const std::string& address);

}  // namespace multiproc::platform

#endif  // MULTIPROC_PLATFORM_LISTENER_H_
