// What a manager server holds: referents, objects with methods called by name from proxies.
// A referent decodes its arguments from the request's bytes and encodes its result; the server
// turns any exception it throws into an error reply (see manager_errors.h for which types are
// re-raised as themselves by the proxy).
//
//   class Counter : public Referent {
//     std::string Call(CallContext&, const std::string& method, const std::string& args) override {
//       if (method == "add") { auto [n] = DecodeArgs<int>(args); return EncodeResult(total_ += n);
//       } throw UnknownMethod("Counter", method);
//     }
//   };
//
// Calls run on the thread serving the caller's connection, concurrently with calls from other
// connections: a referent guards its own state, and may block (a Lock's acquire) without
// stopping the server.
#ifndef MULTIPROC_CORE_MANAGERS_REFERENT_H_
#define MULTIPROC_CORE_MANAGERS_REFERENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/manager_errors.h"
#include "core/serialization.h"

namespace multiproc::internal::manager {

// A value stored by a managed container: its encoded bytes and the objects of this manager that
// proxies inside it refer to (kept alive while the value is stored).
struct Stored {
  std::string bytes;
  std::vector<uint64_t> held;

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(bytes, held);
  }
};

// The server's side of one call, besides its arguments.
class CallContext {
 public:
  virtual ~CallContext() = default;
  // The connection the call came on (a lock remembers it, to free the lock if that connection
  // goes away while holding it).
  virtual uint64_t client() const = 0;
  // Takes a reference to each object of `value.held` (KeyError if one does not exist): call
  // before storing a value.
  virtual void Adopt(const Stored& value) = 0;
  // Drops the references a discarded value held, once the call is over.
  virtual void Drop(const Stored& value) = 0;
  // For a value handed to the caller (pop, get): its references are kept until the caller's
  // proxies for them took their own, then dropped (Reply::transferred).
  virtual void Transfer(const Stored& value) = 0;
};

class Referent {
 public:
  virtual ~Referent() = default;
  // Runs `method`; returns its encoded result ("" for none).
  virtual std::string Call(CallContext& context, const std::string& method,
                           const std::string& args) = 0;
  // The stored values whose references go when this object is released.
  virtual std::vector<Stored> TakeStored() { return {}; }
  // Connection `client` closed: release what it held (a lock it never released).
  virtual void ClientGone(uint64_t /*client*/) {}
};

// Makes a referent of `type` (e.g. "list<i>") from the creation arguments.
using Factory =
    std::function<std::unique_ptr<Referent>(const std::string& type, const std::string& args)>;

// The arguments of a call, as the method's parameter types (SerializationError if they are not).
template <typename... A>
std::tuple<A...> DecodeArgs(const std::string& bytes) {
  std::tuple<A...> values;
  HandleTable no_handles;  // plain data only: a request cannot smuggle OS handles in
  Decode(bytes, no_handles, values);
  return values;
}

template <typename... T>
std::string EncodeResult(const T&... values) {
  if constexpr (sizeof...(T) == 0) {
    HandleTable none;
    return Encode(none, std::tuple<>());  // still a valid (empty) message
  } else {
    HandleTable none;
    return Encode(none, values...);
  }
}

[[noreturn]] inline void UnknownMethod(const std::string& type, const std::string& method) {
  throw RemoteError(absl::StrCat("'", type, "' object has no exposed method '", method, "'"));
}

}  // namespace multiproc::internal::manager

#endif  // MULTIPROC_CORE_MANAGERS_REFERENT_H_
