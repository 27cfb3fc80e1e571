// The manager protocol as a server's connection thread answers it: each message of the input is
// one request, answered by Server::Respond against a server holding a list, a dict and a
// Namespace (fuzz_support.h). Malformed requests, unknown ids, types and methods, arguments of the
// wrong types and reference counts driven to zero all become replies, never a crash or a leak.
// Only the container types are registered: a Lock or a Queue would block on a second acquire or
// an empty get, which is their contract, not a fault.
#include <cstdint>
#include <string>

#include "core/manager_server.h"
#include "core/managers/builtin_referents.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace manager = multiproc::internal::manager;

constexpr uint64_t kClient = 1;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > multiproc::fuzzing::kMaxPipedInput) return -1;
  multiproc::ManagerTypes types;
  manager::AddContainerTypes(types);
  manager::Server server(std::move(types));
  for (const manager::Request& creation : multiproc::fuzzing::FuzzedObjectCreations()) {
    if (!server.Respond(multiproc::fuzzing::EncodedRequest(creation), kClient).reply.ok) {
      std::abort();
    }
  }
  multiproc::Connection connection = multiproc::fuzzing::ConnectionReceiving(data, size);
  // The server reads up to kMaxRequestSize, allocating up to 16 MiB of it before the bytes
  // arrive; no input is that long, so a longer announced length ends this client the same way
  // (end of stream inside the message) and refusing it up front keeps each execution cheap.
  connection.set_max_message_size(multiproc::fuzzing::kMaxPipedInput);
  for (;;) {
    std::string message;
    try {
      message = connection.recv_bytes();
    } catch (const multiproc::EOFError&) {
      return 0;
    } catch (const multiproc::OSError&) {
      return 0;  // longer than the server reads: it would drop this client
    }
    (void)server.Respond(message, kClient);
  }
}
