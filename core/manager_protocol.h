// The manager's wire format: one Request message from a client, one Reply back, on a Connection
// that stays open for the client process's lifetime. Everything is typed cereal data; a request
// names a registered type or method and an object id, never code, so the server dispatches only
// to what was registered.
//
//   Request request{.op = Op::kCall, .id = 7, .type = "list<i>", .method = "append",
//                   .args = Encode(handles, element_bytes)};
//   Reply reply = Roundtrip(connection, request);  // reply.ok, reply.payload or the error
//
// Element values (a list's items, a dict's keys and values, a Namespace's attributes) travel and
// are stored as their own encoded bytes, so the server holds any serializable type without
// knowing it; equality (index, count, remove, dict keys) is equality of the encoded bytes.
#ifndef MULTIPROC_CORE_MANAGER_PROTOCOL_H_
#define MULTIPROC_CORE_MANAGER_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace multiproc::internal::manager {

enum class Op : uint8_t {
  kCreate = 1,       // make an object of `type` from `args`; the reply holds its id (refcount 1)
  kCall = 2,         // run `method` of object `id`, which must be of `type`
  kIncref = 3,       // one more proxy refers to `id`
  kDecref = 4,       // one proxy fewer; the object is released at zero
  kObjectCount = 5,  // how many objects the server holds (tests, debugging)
  kShutdown = 6,     // reply, then end the server process
};

struct Request {
  Op op = Op::kCall;
  uint64_t id = 0;
  std::string type;
  std::string method;
  std::string args;

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(op, id, type, method, args);
  }
};

struct Reply {
  bool ok = true;
  std::string payload;     // ok: the encoded result (empty for void)
  std::string error_type;  // !ok: "KeyError", "Empty", "RemoteError", ...
  std::string message;
  // References the result's proxies held inside the object they came from: the client drops
  // them once it decoded the result (its proxies then hold their own references).
  std::vector<uint64_t> transferred;

  template <typename Archive>
  void serialize(Archive& archive) {
    archive(ok, payload, error_type, message, transferred);
  }
};

// Requests larger than this are refused before any allocation (the server closes that client).
inline constexpr size_t kMaxRequestSize = size_t{256} << 20;

// How long either side of a connection may take over each handshake message before the other
// drops it: a peer that says nothing blocks neither the server nor a client decoding a proxy.
inline constexpr absl::Duration kHandshakeTimeout = absl::Seconds(10);

}  // namespace multiproc::internal::manager

#endif  // MULTIPROC_CORE_MANAGER_PROTOCOL_H_
