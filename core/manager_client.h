// A process's link to one manager: the connections its proxies' requests travel on. There is one
// ManagerClient per (process, manager), and it keeps its connection open, so a proxy call is one
// round trip (CPython opens a new authenticated connection for every incref and decref). A
// connection is busy for the whole of a call, and a call may block on the server (a Lock's
// acquire), so a second thread calling meanwhile gets a second connection; a single-threaded
// process uses exactly one.
//
//   auto client = ManagerClient::For(address, authkey);
//   Reply reply = client->Roundtrip(request);  // EOFError if the manager is gone
//
// After a fork the child gets ManagerClients of its own: a connection is never shared between
// processes (their messages would interleave).
#ifndef MULTIPROC_CORE_MANAGER_CLIENT_H_
#define MULTIPROC_CORE_MANAGER_CLIENT_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/connection.h"
#include "core/manager_protocol.h"

namespace multiproc::internal::manager {

class ManagerClient {
 public:
  // This process's client of the manager at `address`. AuthenticationError if `authkey` is
  // wrong; EOFError if nobody serves there. Without an authkey: the key this process already
  // uses for `address`, or else current_process().authkey.
  static std::shared_ptr<ManagerClient> For(const std::string& address,
                                            std::optional<std::string> authkey);

  ManagerClient(std::string address, std::string authkey);

  // Sends `request` and returns the reply (whether ok or an error). EOFError ("the manager is
  // gone") when the server died or closed the connection.
  Reply Roundtrip(const Request& request);

  // Roundtrip, then the payload of an ok reply, or the reply's error raised as its type.
  std::string Call(const Request& request);

  // Drops references, ignoring a manager that is gone (destructors, transferred references).
  void Decref(const std::vector<uint64_t>& ids) noexcept;

  const std::string& address() const { return address_; }
  const std::string& authkey() const { return authkey_; }

 private:
  Connection Take();
  Connection Connect();

  std::string address_;
  std::string authkey_;
  std::mutex mutex_;
  std::vector<Connection> idle_;
  int64_t pid_;  // the process the idle connections belong to
};

// Raises the error a reply carries, as the type it names (KeyError, Empty, ... or RemoteError).
[[noreturn]] void ThrowReplyError(const Reply& reply);

}  // namespace multiproc::internal::manager

#endif  // MULTIPROC_CORE_MANAGER_CLIENT_H_
