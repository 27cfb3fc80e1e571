// Managers, as Python's multiprocessing.managers: a server process holds objects (lists, dicts,
// locks, queues, your own types) and other processes use them through proxies (proxy.h).
//
//   void Work(multiproc::ListProxy<int> numbers, multiproc::LockProxy lock, int i) {
//     std::lock_guard<multiproc::LockProxy> hold(lock);
//     numbers.append(i);
//   }
//
//   multiproc::SyncManager manager = multiproc::Manager();  // started
//   auto numbers = manager.list<int>();
//   auto lock = manager.Lock();
//   multiproc::Process child(Work, numbers, lock, 1);
//   child.start();
//   child.join();
//   numbers.snapshot();  // {1}
//   // ~SyncManager shuts the server down (or call shutdown()).
//
// start() runs the server as a child Process (through the Spawner, so under every start
// method), listening at a fresh private address (a 0600 Unix socket in a 0700 directory; a named
// pipe on Windows) with this process's authkey (current_process().authkey, 32 random bytes that
// children inherit) unless given one; every connection is authenticated both ways
// (HMAC-SHA256). Remote managers: construct with a TCP address ("127.0.0.1:50000", or port 0 for
// any) and a key, serve_forever() in one program, connect() in others:
//
//   multiproc::SyncManager server("127.0.0.1:50000", std::string("secret"));
//   server.serve_forever();  // in the serving program; returns never
//   multiproc::SyncManager client("127.0.0.1:50000", std::string("secret"));
//   client.connect();        // AuthenticationError with a wrong key (and the server refuses it)
//
// Each process keeps one persistent connection per manager (manager_client.h). A proxy call
// stays awake for up to 50 µs waiting for its reply, and the server's thread for that client's
// next request, before sleeping (core/awake_wait.h): waking a sleeping process costs more than
// the request. When the server is gone, every proxy call raises EOFError at once.
#ifndef MULTIPROC_CORE_MANAGER_H_
#define MULTIPROC_CORE_MANAGER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "core/manager_client.h"
#include "core/manager_types.h"
#include "core/managers/container_proxies.h"
#include "core/managers/queue_proxies.h"
#include "core/managers/sync_proxies.h"
#include "core/process.h"
#include "core/proxy.h"
#include "core/timeout.h"

namespace multiproc {

// A proxy to an object of a registered type (manager_types.h): methods are called by name.
class Proxy : public BaseProxy {
 public:
  Proxy() = default;

  // Calls the exposed method `method`; R is its result type (void for none). RemoteError if
  // the method is not exposed or threw; TypeError if the arguments are not of its parameter
  // types.
  template <typename R = void, typename... A>
  R call(const char* method, const A&... args) {
    if constexpr (std::is_void_v<R>) {
      Invoke(method, args...);
    } else {
      return CallFor<R>(method, args...);
    }
  }

 private:
  friend class BaseManager;
  using BaseProxy::BaseProxy;
};

class BaseManager {
 public:
  // A manager to start() or connect() (or serve_forever()). `address`: where the server listens
  // ("" for a fresh private address at start()); `authkey`: std::nullopt for 32 random bytes
  // (connect() needs the server's key); `start_method`: how start() starts the server ("" for
  // the default).
  explicit BaseManager(std::string address = "", std::optional<std::string> authkey = std::nullopt,
                       std::string start_method = "");
  BaseManager(BaseManager&&) noexcept;
  BaseManager& operator=(BaseManager&&) noexcept;
  // Shuts down a server this manager started.
  virtual ~BaseManager();

  // Adds the types `registration` registers to those the server can make. Before start() or
  // serve_forever().
  void register_types(RegisterTypes registration);

  // Starts the server process and waits until it listens. ProcessError if already started or
  // the server could not start.
  void start();
  // Connects to a running server at address() with authkey(). AuthenticationError with the
  // wrong key; EOFError if nobody serves there.
  void connect();
  // Asks the server to exit (its objects go with it) and, if this manager started it, waits for
  // it. Harmless when already shut down. A connected manager shuts the remote server down too.
  void shutdown();

  // Serves in this process: listen() (if not done yet), then answer clients until a shutdown
  // request ends the process.
  [[noreturn]] void serve_forever();
  // Starts listening at address() in this process; afterwards address() tells the actual port.
  void listen();

  const std::string& address() const;
  const std::string& authkey() const;
  // The server process, when this manager started it (a handle: kill() it to see proxies fail).
  std::optional<Process> process() const;
  // How many objects the server holds (refcounts reaching zero release them).
  size_t object_count();

  // An object of a registered type, constructed on the server from `args` (the constructor
  // argument types given at registration).
  template <typename... A>
  Proxy create(const std::string& type, const A&... args) {
    return Make<Proxy>(type, internal::manager::EncodeResult(args...));
  }

 protected:
  template <typename P>
  P Make(const std::string& type, const std::string& args) {
    internal::manager::Request request;
    request.op = internal::manager::Op::kCreate;
    request.type = type;
    request.args = args;
    uint64_t id = internal::manager::Load<uint64_t>(client().Call(request));
    return P(client_shared(), id, type);
  }

 private:
  struct State;
  internal::manager::ManagerClient& client() const;
  std::shared_ptr<internal::manager::ManagerClient> client_shared() const;

  std::unique_ptr<State> state_;
};

// The manager of Python's multiprocessing.Manager(): the built-in shared types.
class SyncManager : public BaseManager {
 public:
  using BaseManager::BaseManager;

  template <typename T>
  ListProxy<T> list(const std::vector<T>& initial = {}) {
    auto proxy = Make<ListProxy<T>>(Tagged<T>("list"), EmptyStored());
    if (!initial.empty()) proxy.extend(initial);
    return proxy;
  }
  template <typename K, typename V>
  DictProxy<K, V> dict(const std::vector<std::pair<K, V>>& initial = {}) {
    auto proxy = Make<DictProxy<K, V>>(
        "dict<" + internal::manager::TypeTag<K>() + "," + internal::manager::TypeTag<V>() + ">",
        "");
    if (!initial.empty()) proxy.update(initial);
    return proxy;
  }
  NamespaceProxy Namespace() { return Make<NamespaceProxy>("Namespace", ""); }
  template <typename T>
  ValueProxy<T> Value(const T& initial = T{}) {
    return Make<ValueProxy<T>>(
        Tagged<T>("Value"),
        internal::manager::EncodeResult(internal::manager::Stored{Bytes(initial), {}}));
  }
  template <typename T>
  ArrayProxy<T> Array(const std::vector<T>& values) {
    std::vector<internal::manager::Stored> stored;
    for (const T& value : values) stored.push_back({Bytes(value), {}});
    return Make<ArrayProxy<T>>(Tagged<T>("Array"), internal::manager::EncodeResult(stored));
  }

  LockProxy Lock() { return Make<LockProxy>("Lock", ""); }
  RLockProxy RLock() { return Make<RLockProxy>("RLock", ""); }
  SemaphoreProxy Semaphore(int64_t value = 1) {
    return Make<SemaphoreProxy>("Semaphore", internal::manager::EncodeResult(value));
  }
  SemaphoreProxy BoundedSemaphore(int64_t value = 1) {
    return Make<SemaphoreProxy>("BoundedSemaphore", internal::manager::EncodeResult(value));
  }
  ConditionProxy Condition() { return Make<ConditionProxy>("Condition", ""); }
  EventProxy Event() { return Make<EventProxy>("Event", ""); }
  BarrierProxy Barrier(int64_t parties, Timeout timeout = std::nullopt) {
    return Make<BarrierProxy>("Barrier", internal::manager::EncodeResult(
                                             parties, internal::manager::Nanoseconds(timeout)));
  }

  template <typename T>
  QueueProxy<T> Queue(int64_t maxsize = 0) {
    return Make<QueueProxy<T>>(Tagged<T>("Queue"), internal::manager::EncodeResult(maxsize));
  }
  template <typename T>
  JoinableQueueProxy<T> JoinableQueue(int64_t maxsize = 0) {
    return Make<JoinableQueueProxy<T>>(Tagged<T>("JoinableQueue"),
                                       internal::manager::EncodeResult(maxsize));
  }

 private:
  template <typename T>
  static std::string Tagged(const char* kind) {
    return std::string(kind) + "<" + internal::manager::TypeTag<T>() + ">";
  }
  template <typename T>
  static std::string Bytes(const T& value) {
    HandleTable handles;
    std::string bytes = internal::Encode(handles, value);
    if (handles.size() != 0) throw SerializationError("a managed value cannot carry OS handles");
    return bytes;
  }
  static std::string EmptyStored() {
    return internal::manager::EncodeResult(std::vector<internal::manager::Stored>{});
  }
};

// A started SyncManager (Python's multiprocessing.Manager()).
SyncManager Manager(std::string start_method = "");

}  // namespace multiproc

#endif  // MULTIPROC_CORE_MANAGER_H_
