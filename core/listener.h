// Listener and Client, as Python's multiprocessing.connection: a Listener waits at an address
// for Clients; each accept() gives a Connection to one of them. With an authkey, both sides prove
// they know it (mutual HMAC-SHA256, core/authentication.h) before the Connection is handed over;
// a wrong key raises AuthenticationError on both sides.
//
//   multiproc::Listener listener("", std::string("secret"));  // a fresh private address
//   // in another process, given listener.address():
//   multiproc::Connection to_server = multiproc::Client(address, std::string("secret"));
//   to_server.send(std::string("hello"));
//   // back in the listener:
//   multiproc::Connection from_client = listener.accept();
//   std::string greeting = from_client.recv<std::string>();
//
// Addresses (Python's address families):
//   - Unix-domain socket path (POSIX default): an empty address makes a socket file with mode
//     0600 inside a fresh 0700 directory, removed by close(); never the abstract namespace,
//     which any local user could connect to (CPython's CVE-2022-42919).
//   - "\\.\pipe\name" (Windows default): a named pipe refusing remote clients.
//   - "host:port", e.g. "127.0.0.1:0" (port 0 picks a free one; address() tells which): TCP,
//     on every platform. On Windows a TCP Connection stays in the process that opened or
//     accepted it: sending it to another process is an OSError (a duplicated socket handle
//     shares Winsock's state with its original); POSIX passes it like any other descriptor.
// Without an authkey (std::nullopt) nobody is authenticated, as in Python; the key itself never
// appears in an error message.
#ifndef MULTIPROC_CORE_LISTENER_H_
#define MULTIPROC_CORE_LISTENER_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "core/connection.h"
#include "core/timeout.h"
#include "platform/listener.h"

namespace multiproc {

using AddressFamily = platform::AddressFamily;

class Listener {
 public:
  // Listens at `address`, or at a fresh address of `family` (the platform's default if
  // std::nullopt) when `address` is empty. OSError if the address is taken or not offered on
  // this platform; ValueError if `family` contradicts `address`.
  explicit Listener(std::string address = "", std::optional<std::string> authkey = std::nullopt,
                    std::optional<AddressFamily> family = std::nullopt, int backlog = 16);

  Listener(Listener&&) = default;
  Listener& operator=(Listener&&) = default;

  // Waits for a Client and authenticates it when there is an authkey. AuthenticationError if it
  // fails (the client is dropped; the Listener keeps listening); OSError once closed.
  Connection accept();

  // accept() in two halves, for a server that authenticates each client on that client's own
  // thread, so that its accept loop never waits on a peer (a manager): accept_unauthenticated()
  // returns the next connection as it arrived; authenticate() runs the handshake when there is
  // an authkey, each message the peer owes due within `timeout`. AuthenticationError if the
  // proof fails or a message is late; EOFError/OSError if the peer goes away.
  Connection accept_unauthenticated();
  void authenticate(Connection& connection, Timeout timeout = std::nullopt) const;

  // Where Clients connect; for TCP with port 0, the port actually chosen.
  const std::string& address() const { return listener_.address(); }
  AddressFamily family() const { return listener_.family(); }

  // Stops listening and removes the socket file and directory it created.
  void close() { listener_.Close(); }

 private:
  static platform::StreamListener Listen(std::string address, std::optional<AddressFamily> family,
                                         int backlog);

  platform::StreamListener listener_;
  std::optional<std::string> authkey_;
};

// Connects to the Listener at `address` and, with an authkey, authenticates both ways.
// AuthenticationError if either side's proof fails; OSError if nobody listens there. Beyond
// Python: with a `handshake_timeout`, AuthenticationError if the listener takes longer than that
// over any handshake message (a peer that accepts and says nothing).
Connection Client(const std::string& address, std::optional<std::string> authkey = std::nullopt,
                  Timeout handshake_timeout = std::nullopt);

}  // namespace multiproc

#endif  // MULTIPROC_CORE_LISTENER_H_
