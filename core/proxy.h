// BaseProxy: a reference to an object held by a manager's server (manager.h), and the base of
// every typed proxy (ListProxy<T>, DictProxy<K, V>, Namespace, LockProxy, ...). Method calls are
// requests to the server over this process's persistent connection to it.
//
//   multiproc::ListProxy<int> numbers = manager.list<int>();
//   multiproc::Process child(Work, numbers);  // the child's copy refers to the same list
//
// A proxy serializes as (address, authkey, object id, type) through the normal serializer, so it
// travels as a Process argument, a Pool task argument or initarg, over a Connection or a Queue, or
// inside another managed object (a proxy stored in a managed list or dict keeps its object alive
// while stored there). As in CPython, the manager's authkey travels only to a child being started
// (Process arguments, Pool initargs; never on a command line); anywhere else the key is left out
// and the receiver uses the key it already has for that manager, or else its own
// current_process().authkey, which a manager uses by default and children inherit.
//
// Reference counting: the copies of a proxy within one process share one reference on the
// server; a proxy that arrives in another process (decoded) takes its own. When the last copy in
// a process goes, the reference is dropped; at zero the server releases the object. A proxy must
// stay alive in the sender until the receiver has decoded it (keep it until you join the child),
// as in Python.
//
// A proxy call on a manager that is gone raises EOFError at once, whatever the call.
#ifndef MULTIPROC_CORE_PROXY_H_
#define MULTIPROC_CORE_PROXY_H_

#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "core/errors.h"
#include "core/manager_client.h"
#include "core/manager_errors.h"
#include "core/managers/referent.h"
#include "core/serialization.h"
#include "core/starting_child.h"
#include "core/timeout.h"
#include "core/type_name.h"

namespace multiproc {

namespace internal::manager {

// While a value is being stored, the ids of the proxies of manager `address` encoded inside it.
struct HeldCollector {
  const std::string& address;
  std::vector<uint64_t> ids;
};
HeldCollector*& CurrentHeldCollector();

// The name a proxy's element type carries on the wire, the same for every compiler
// (core/type_name.h): a mismatch between a proxy's element type and the object's is a TypeError.
template <typename T>
std::string TypeTag() {
  return TypeName<T>();
}

// `value` encoded for storage in a managed object of the manager at `address`.
template <typename T>
Stored Store(const std::string& address, const T& value) {
  HeldCollector collector{address, {}};
  HeldCollector* previous = CurrentHeldCollector();
  CurrentHeldCollector() = &collector;
  HandleTable handles;
  std::string bytes;
  try {
    bytes = Encode(handles, value);
  } catch (...) {
    CurrentHeldCollector() = previous;
    throw;
  }
  CurrentHeldCollector() = previous;
  if (handles.size() != 0) {
    throw SerializationError(
        "a value stored in a manager cannot carry OS handles (a Lock, a Queue, a Connection): "
        "use the manager's own Lock, Queue, ... instead");
  }
  return {std::move(bytes), std::move(collector.ids)};
}

template <typename T>
T Load(const std::string& bytes) {
  HandleTable none;
  T value{};
  try {
    Decode(bytes, none, value);
  } catch (const std::length_error&) {
    throw SerializationError("a managed value does not decode as the proxy's type");
  } catch (const std::bad_alloc&) {
    throw SerializationError("a managed value does not decode as the proxy's type");
  }
  return value;
}

// Timeouts as the server takes them: nanoseconds, nullopt for none.
inline std::optional<int64_t> Nanoseconds(Timeout timeout) {
  if (!timeout || *timeout == absl::InfiniteDuration()) return std::nullopt;
  return absl::ToInt64Nanoseconds(*timeout);
}

// Names the calling thread of this process (RLock and Condition owners).
std::string ThreadToken();

}  // namespace internal::manager

class BaseProxy {
 public:
  // Refers to nothing (every call raises ValueError); proxies come from a manager.
  BaseProxy() = default;

  const std::string& address() const { return state().client->address(); }
  uint64_t id() const { return state().id; }
  const std::string& type() const { return state().type; }
  bool valid() const { return state_ != nullptr; }

  template <typename Archive>
  void save(Archive& archive) const {
    const State& s = state();
    internal::manager::HeldCollector* collector = internal::manager::CurrentHeldCollector();
    if (collector != nullptr && collector->address == s.client->address()) {
      collector->ids.push_back(s.id);
    }
    const std::string no_key;
    archive(s.client->address(),
            internal::StartingChild::InProgress() ? s.client->authkey() : no_key, s.id, s.type);
  }
  template <typename Archive>
  void load(Archive& archive) {
    std::string address, authkey, type;
    uint64_t id = 0;
    archive(address, authkey, id, type);
    Arrive(std::move(address), std::move(authkey), id, std::move(type));
  }

 protected:
  // Adopts the reference that creating object `id` gave.
  BaseProxy(std::shared_ptr<internal::manager::ManagerClient> client, uint64_t id,
            std::string type);

  // Calls `method` with `args` (encoded together); returns the reply (ok).
  template <typename... A>
  internal::manager::Reply Invoke(const char* method, const A&... args) const {
    return InvokeEncoded(method, internal::manager::EncodeResult(args...));
  }
  // Calls `method` and decodes its result as R.
  template <typename R, typename... A>
  R CallFor(const char* method, const A&... args) const {
    internal::manager::Reply reply = Invoke(method, args...);
    R result = internal::manager::Load<R>(reply.payload);
    return result;
  }
  // Calls `method` and returns decode(payload), for results holding stored values: the
  // references the server transferred with them are dropped once the proxies inside were
  // decoded (and took their own).
  template <typename Decoder, typename... A>
  auto CallDecoding(const char* method, Decoder decode, const A&... args) const {
    internal::manager::Reply reply = Invoke(method, args...);
    struct DropTransferred {
      const State& state;
      std::vector<uint64_t>& ids;
      ~DropTransferred() {
        if (!ids.empty()) state.client->Decref(ids);
      }
    } drop{state(), reply.transferred};
    return decode(reply.payload);
  }

  template <typename T>
  internal::manager::Stored Store(const T& value) const {
    return internal::manager::Store(address(), value);
  }
  // The bytes `value` is stored as (to find it: index, count, remove, dict keys).
  template <typename T>
  static std::string Bytes(const T& value) {
    HandleTable handles;
    return internal::Encode(handles, value);
  }
  // Decoders of results holding stored values.
  template <typename T>
  static T Element(const std::string& payload) {
    return internal::manager::Load<T>(internal::manager::Load<std::string>(payload));
  }
  template <typename T>
  static std::vector<T> Elements(const std::string& payload) {
    std::vector<T> values;
    for (const std::string& bytes : internal::manager::Load<std::vector<std::string>>(payload)) {
      values.push_back(internal::manager::Load<T>(bytes));
    }
    return values;
  }

 private:
  struct State {
    std::shared_ptr<internal::manager::ManagerClient> client;
    uint64_t id = 0;
    std::string type;
    int64_t pid = 0;  // a fork child's inherited copy must not drop the parent's reference
    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State();
  };
  static std::shared_ptr<State> MakeState(std::shared_ptr<internal::manager::ManagerClient> client,
                                          uint64_t id, std::string type);

  internal::manager::Reply InvokeEncoded(const char* method, std::string args) const;
  void Arrive(std::string address, std::string authkey, uint64_t id, std::string type);
  const State& state() const;

  std::shared_ptr<State> state_;
};

}  // namespace multiproc

#endif  // MULTIPROC_CORE_PROXY_H_
