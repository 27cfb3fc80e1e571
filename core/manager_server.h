// A manager's server: holds the managed objects and serves proxies' requests (manager_protocol.h)
// on every connection a Listener accepts, each on its own thread, until a shutdown request ends
// the process. Objects are reference-counted by the proxies that refer to them and released at
// zero.
//
//   ManagerTypes types;
//   internal::manager::AddBuiltinTypes(types);
//   internal::manager::Server server(std::move(types));
//   server.ServeForever(listener);  // ends the process on shutdown
//
// Bad input never stops the server: an undecodable or oversized request, an unknown object id,
// type or method, arguments of the wrong type, a referent's exception all become an error reply
// (or, for a request too large or a client gone mid-request, the end of that one connection).
#ifndef MULTIPROC_CORE_MANAGER_SERVER_H_
#define MULTIPROC_CORE_MANAGER_SERVER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/connection.h"
#include "core/listener.h"
#include "core/manager_protocol.h"
#include "core/manager_types.h"

namespace multiproc::internal::manager {

// Registers list, dict, Namespace, Value, Array, Lock, RLock, Semaphore, BoundedSemaphore,
// Condition, Event, Barrier, Queue and JoinableQueue.
void AddBuiltinTypes(ManagerTypes& types);

class Server {
 public:
  explicit Server(ManagerTypes types) : types_(std::move(types)) {}

  // Accepts and serves clients until a shutdown request, which ends the process (exit code 0)
  // after replying.
  [[noreturn]] void ServeForever(Listener& listener);

  // What a connection's thread sends back for one request message, and whether that request
  // asked the server to end. An undecodable message gets a RemoteError reply. Needs no
  // connection, so tests and the manager protocol's fuzzer call it on bytes.
  struct Answer {
    Reply reply;
    bool shutdown = false;
  };
  Answer Respond(const std::string& message, uint64_t client);

  size_t object_count();

 private:
  struct Entry {
    std::shared_ptr<Referent> referent;
    std::string type;
    int64_t refs = 0;
  };
  class Context;

  Reply Handle(const Request& request, uint64_t client);
  // Runs the listener's handshake with a deadline; false if the peer failed it.
  bool Admitted(Connection& connection) const;
  void Serve(Connection connection, uint64_t client);
  std::shared_ptr<Referent> Find(uint64_t id, const std::string& type);
  void Incref(uint64_t id);
  // Drops one reference to each of `ids`, releasing (recursively) what reaches zero.
  void Decref(std::vector<uint64_t> ids);
  void ClientGone(uint64_t client);

  ManagerTypes types_;
  std::mutex mutex_;
  std::unordered_map<uint64_t, Entry> objects_;
  uint64_t next_id_ = 1;
  std::atomic<int> clients_{0};
  Listener* listener_ = nullptr;
};

}  // namespace multiproc::internal::manager

#endif  // MULTIPROC_CORE_MANAGER_SERVER_H_
